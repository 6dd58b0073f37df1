//! Reading one spec file: bytes → JSON value, plus a pointer → line map for diagnostics.

use std::collections::HashMap;

use serde_json::{Map, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diag::escape_segment;

/// Largest spec file hookgen reads. Real specs are a few MB; this bounds memory on hostile input.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;
/// Deepest nesting accepted when converting YAML (serde_json has its own limit of 128).
const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

/// Why a file could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("file is empty")]
    Empty,
    #[error("file is {0} bytes; hookgen reads at most {MAX_FILE_BYTES}")]
    TooLarge(usize),
    #[error("file is not UTF-8 (invalid byte at offset {0})")]
    NotUtf8(usize),
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("invalid YAML{}: {message}", location.map(|(l, c)| format!(" at line {l}, column {c}")).unwrap_or_default())]
    Yaml {
        location: Option<(usize, usize)>,
        message: String,
    },
    #[error("nesting deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

impl ParseError {
    pub fn line(&self) -> Option<usize> {
        match self {
            ParseError::Json { line, .. } => Some(*line),
            ParseError::Yaml { location, .. } => location.map(|(l, _)| l),
            _ => None,
        }
    }
}

pub fn detect_format(text: &str) -> Format {
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next()
    {
        Some('{') | Some('[') => Format::Json,
        _ => Format::Yaml,
    }
}

/// Parse a spec file's bytes into a JSON value. YAML mapping keys are stringified (`200:` → `"200"`).
pub fn parse(bytes: &[u8]) -> Result<(Value, Format), ParseError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ParseError::TooLarge(bytes.len()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ParseError::NotUtf8(e.valid_up_to()))?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let format = detect_format(text);
    let value = match format {
        Format::Json => parse_json(text)?,
        Format::Yaml => parse_yaml(text)?,
    };
    Ok((value, format))
}

fn parse_json(text: &str) -> Result<Value, ParseError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = crate::dupkeys::deserialize_strict(&mut de).map_err(|e| ParseError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    de.end().map_err(|e| ParseError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    Ok(value)
}

fn parse_yaml(text: &str) -> Result<Value, ParseError> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| ParseError::Yaml {
        location: e.location().map(|l| (l.line(), l.column())),
        message: e.to_string(),
    })?;
    yaml_to_json(yaml, 0)
}

fn yaml_to_json(v: serde_yaml::Value, depth: usize) -> Result<Value, ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError::TooDeep);
    }
    Ok(match v {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => yaml_number(&n),
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(|i| yaml_to_json(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        serde_yaml::Value::Mapping(m) => {
            let mut out = Map::with_capacity(m.len());
            for (k, v) in m {
                out.insert(yaml_key(k), yaml_to_json(v, depth + 1)?);
            }
            Value::Object(out)
        }
        serde_yaml::Value::Tagged(t) => yaml_to_json(t.value, depth + 1)?,
    })
}

fn yaml_number(n: &serde_yaml::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::from(i)
    } else if let Some(u) = n.as_u64() {
        Value::from(u)
    } else {
        n.as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

fn yaml_key(k: serde_yaml::Value) -> String {
    match k {
        serde_yaml::Value::String(s) => s,
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Null => "null".to_string(),
        other => serde_yaml::to_string(&other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// JSON pointer → (line, column), both 1-based, for every node of a YAML or JSON text.
#[derive(Debug, Default, Clone)]
pub struct LineMap {
    positions: HashMap<String, (usize, usize)>,
}

impl LineMap {
    /// Build the map; on any parse trouble the map is simply partial (lines are a courtesy).
    pub fn build(text: &str) -> LineMap {
        let mut builder = LineMapBuilder::default();
        let mut parser = Parser::new_from_str(text);
        let _ = parser.load(&mut builder, false);
        LineMap {
            positions: builder.positions,
        }
    }

    /// The position of `pointer`, or of its nearest ancestor that has one.
    pub fn locate(&self, pointer: &str) -> Option<(usize, usize)> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return Some(*pos);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    /// The exact position of `pointer`, without falling back to an ancestor.
    pub fn exact(&self, pointer: &str) -> Option<(usize, usize)> {
        self.positions.get(pointer).copied()
    }
}

enum Frame {
    Map {
        pending_key: Option<String>,
        expecting_key: bool,
    },
    Seq {
        index: usize,
    },
}

#[derive(Default)]
struct LineMapBuilder {
    stack: Vec<(String, Frame)>,
    positions: HashMap<String, (usize, usize)>,
}

impl LineMapBuilder {
    /// The pointer of the node that starts now, and advance the parent's state.
    fn next_child_pointer(&mut self) -> Option<String> {
        let (parent, frame) = match self.stack.last_mut() {
            Some(top) => top,
            None => return Some(String::new()),
        };
        match frame {
            Frame::Seq { index } => {
                let p = format!("{parent}/{index}");
                *index += 1;
                Some(p)
            }
            Frame::Map {
                pending_key,
                expecting_key,
            } => {
                if *expecting_key {
                    None
                } else {
                    let key = pending_key.take().unwrap_or_default();
                    *expecting_key = true;
                    Some(format!("{parent}/{}", escape_segment(&key)))
                }
            }
        }
    }

    fn record(&mut self, pointer: &str, mark: Marker) {
        self.positions
            .entry(pointer.to_string())
            .or_insert((mark.line(), mark.col() + 1));
    }
}

impl MarkedEventReceiver for LineMapBuilder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                if let Some((
                    _,
                    Frame::Map {
                        pending_key,
                        expecting_key,
                    },
                )) = self.stack.last_mut()
                {
                    if *expecting_key {
                        *pending_key = Some(value);
                        *expecting_key = false;
                        // A key's line is where its entry starts: the most useful place to point at.
                        let parent = self
                            .stack
                            .last()
                            .map(|(p, _)| p.clone())
                            .unwrap_or_default();
                        if let Some((
                            _,
                            Frame::Map {
                                pending_key: Some(k),
                                ..
                            },
                        )) = self.stack.last()
                        {
                            let p = format!("{parent}/{}", escape_segment(k));
                            self.record(&p, mark);
                        }
                        return;
                    }
                }
                if let Some(p) = self.next_child_pointer() {
                    self.record(&p, mark);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let p = self.next_child_pointer().unwrap_or_default();
                self.record(&p, mark);
                let frame = if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        pending_key: None,
                        expecting_key: true,
                    }
                } else {
                    Frame::Seq { index: 0 }
                };
                self.stack.push((p, frame));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::Alias(_) => {
                let _ = self.next_child_pointer();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_integer_keys_become_strings() {
        let (v, f) = parse(b"responses:\n  200:\n    description: OK\n").unwrap();
        assert_eq!(f, Format::Yaml);
        assert_eq!(v["responses"]["200"]["description"], "OK");
    }

    #[test]
    fn empty_and_garbage_are_errors() {
        assert!(matches!(parse(b"  \n"), Err(ParseError::Empty)));
        assert!(matches!(parse(b"{\"a\": "), Err(ParseError::Json { .. })));
        assert!(matches!(parse(b"\xff\xfe"), Err(ParseError::NotUtf8(0))));
        assert!(matches!(parse(b"a: [1, 2"), Err(ParseError::Yaml { .. })));
    }

    #[test]
    fn line_map_locates_yaml_and_json_nodes() {
        let yaml = "openapi: 3.1.0\ncomponents:\n  schemas:\n    A:\n      required:\n        - x\n      properties:\n        y: {type: string}\n";
        let map = LineMap::build(yaml);
        assert_eq!(map.exact("/components/schemas/A").map(|p| p.0), Some(4));
        assert_eq!(
            map.exact("/components/schemas/A/required/0").map(|p| p.0),
            Some(6)
        );
        assert_eq!(
            map.locate("/components/schemas/A/properties/y/type")
                .map(|p| p.0),
            Some(8)
        );
        let json = "{\n  \"a\": {\n    \"b\": [1,\n 2]\n  }\n}";
        let map = LineMap::build(json);
        assert_eq!(map.exact("/a/b").map(|p| p.0), Some(3));
        assert_eq!(map.exact("/a/b/1").map(|p| p.0), Some(4));
    }
}
