//! A JSON value deserializer for spec files (JSON and YAML alike) that rejects duplicate object
//! keys instead of silently keeping the last, and reads every number: integers beyond 64 bits
//! become the nearest float and infinite floats the largest finite one, so that no number a
//! vendor wrote can fail a load (the schema stage decides what a number means).

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

pub fn deserialize_strict<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    d.deserialize_any(StrictVisitor)
}

struct StrictVisitor;
struct StrictValue(Value);

impl<'de> de::Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or_else(|_| finite_number(v as f64), Value::from))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(u64::try_from(v).map_or_else(|_| finite_number(v as f64), Value::from))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(finite_number(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        // A YAML tag (`!Ref value`): the tag means nothing to OpenAPI, the value is kept.
        let (_, variant) = data.variant::<de::IgnoredAny>()?;
        de::VariantAccess::newtype_variant::<StrictValue>(variant).map(|v| v.0)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(Key(key)) = map.next_key::<Key>()? {
            let StrictValue(v) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Infinity and NaN have no JSON form: the largest finite float of the same sign stands in.
fn finite_number(v: f64) -> Value {
    let v = if v.is_nan() {
        return Value::Null;
    } else if v.is_infinite() {
        f64::MAX.copysign(v)
    } else {
        v
    };
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// A mapping key: YAML allows numbers and booleans (`200:`, `true:`), JSON keys are strings.
struct Key(String);

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).and_then(|v| match v {
            Value::String(s) => Ok(Key(s)),
            Value::Null => Ok(Key("null".into())),
            Value::Bool(_) | Value::Number(_) => Ok(Key(v.to_string())),
            _ => Err(de::Error::custom("a mapping key must be a scalar")),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn duplicate_keys_are_rejected() {
        let mut de = serde_json::Deserializer::from_str(r#"{"a": 1, "b": {"c": 1, "c": 2}}"#);
        let err = super::deserialize_strict(&mut de).unwrap_err();
        assert!(err.to_string().contains("duplicate key `c`"), "{err}");
    }

    #[test]
    fn numbers_beyond_every_machine_type_are_read() {
        let yaml = "a: -9223372036854776000\nb: .inf\nc: 340282366920938463463374607431768211455\n200: x\n";
        let v = super::deserialize_strict(serde_yaml::Deserializer::from_str(yaml)).unwrap();
        assert_eq!(v["a"].as_f64(), Some(-9.223372036854776e18));
        assert_eq!(v["b"].as_f64(), Some(f64::MAX));
        assert!(v["c"].as_f64().unwrap() > 3.4e38);
        assert_eq!(v["200"], "x");
    }
}
