//! Rust expressions a scheme writes of itself, for the generator to print (typify's
//! self-printing type entries are the model). A family describes how to build its own value;
//! the generator turns the description into tokens and its `use` lines. A leaf module.

/// An expression building a scheme value in generated code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// An item of `hookgen_runtime::verify`, imported by name, optionally with a member after
    /// it: `Algorithm` or `Algorithm::Sha512`.
    Item {
        /// The imported name.
        name: &'static str,
        /// What follows `::`, if anything.
        member: Option<String>,
    },
    /// A name in Rust's prelude or an expression needing no import: `None`, `Default::default()`.
    Prelude(&'static str),
    /// A string literal, where the field is `&str` or takes `impl Into<String>`.
    Text(String),
    /// A string literal made a `String`: `"x".to_owned()`.
    Owned(String),
    /// An unsigned integer literal.
    Int(u64),
    /// A call: `callee(args..)`.
    Call(Box<Code>, Vec<Code>),
    /// A method call: `receiver.name(args..)`.
    Method(Box<Code>, &'static str, Vec<Code>),
    /// A struct literal of an imported type: `Name { field: value, .. }`.
    Struct(&'static str, Vec<(&'static str, Code)>),
}

impl Code {
    /// An imported item.
    pub fn item(name: &'static str) -> Code {
        Code::Item { name, member: None }
    }

    /// A member of an imported item: `Algorithm::Sha512`, `HmacScheme::new`.
    pub fn member(name: &'static str, member: impl Into<String>) -> Code {
        Code::Item {
            name,
            member: Some(member.into()),
        }
    }

    /// A unit variant of an imported enum, named by its `Debug` text.
    pub fn variant(name: &'static str, value: &impl std::fmt::Debug) -> Code {
        Code::member(name, format!("{value:?}"))
    }

    /// `Some("x".to_owned())` or `None`.
    pub fn owned_option(value: &Option<String>) -> Code {
        match value {
            Some(v) => Code::Call(
                Box::new(Code::Prelude("Some")),
                vec![Code::Owned(v.clone())],
            ),
            None => Code::Prelude("None"),
        }
    }

    /// `self(args..)`.
    pub fn call(self, args: Vec<Code>) -> Code {
        Code::Call(Box::new(self), args)
    }

    /// `self.name(args..)`.
    pub fn method(self, name: &'static str, args: Vec<Code>) -> Code {
        Code::Method(Box::new(self), name, args)
    }

    /// The imported names this expression uses, in order of first use.
    pub fn imports(&self) -> Vec<&'static str> {
        let mut found = Vec::new();
        self.collect_imports(&mut found);
        found
    }

    fn collect_imports(&self, found: &mut Vec<&'static str>) {
        fn add(found: &mut Vec<&'static str>, name: &'static str) {
            if !found.contains(&name) {
                found.push(name);
            }
        }
        match self {
            Code::Item { name, .. } => add(found, name),
            Code::Struct(name, fields) => {
                add(found, name);
                for (_, value) in fields {
                    value.collect_imports(found);
                }
            }
            Code::Call(callee, args) => {
                callee.collect_imports(found);
                args.iter().for_each(|a| a.collect_imports(found));
            }
            Code::Method(receiver, _, args) => {
                receiver.collect_imports(found);
                args.iter().for_each(|a| a.collect_imports(found));
            }
            Code::Prelude(_) | Code::Text(_) | Code::Owned(_) | Code::Int(_) => {}
        }
    }
}
