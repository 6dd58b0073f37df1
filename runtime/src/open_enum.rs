//! Open string enums: the known values of a schema's `enum`, plus `Unknown` keeping any other
//! string as sent, so a vendor adding a value never breaks decoding.
//!
//! Generated crates declare each one with [`open_enum!`](crate::open_enum), a few lines per
//! type; the methods and the serde impls are written once, here.

/// Declares an open string enum: each variant with its wire value, and `Unknown(String)` for
/// any other value. The enum gets `as_str`, `Display`, `FromStr` (infallible) and serde impls
/// that read and write the plain string.
///
/// ```
/// hookgen_runtime::open_enum! {
///     /// A permission level.
///     pub enum Permission {
///         /// `read`
///         Read = "read",
///         Write = "write",
///     }
/// }
///
/// let p: Permission = serde_json::from_str("\"write\"").unwrap();
/// assert_eq!(p, Permission::Write);
/// let other: Permission = serde_json::from_str("\"admin\"").unwrap();
/// assert_eq!(other, Permission::Unknown("admin".into()));
/// assert_eq!(serde_json::to_string(&other).unwrap(), "\"admin\"");
/// assert_eq!(Permission::Read.to_string(), "read");
/// ```
#[macro_export]
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $wire:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        ///
        /// Open: a value this SDK does not know decodes into `Unknown` with the string kept.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant, )*
            /// A value this SDK does not know; the string is kept as sent.
            Unknown(::std::string::String),
        }

        impl $name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(other) => other,
                }
            }

            fn from_wire(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from_wire(s))
            }
        }

        impl $crate::reexports::serde::Serialize for $name {
            fn serialize<S: $crate::reexports::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::reexports::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::reexports::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::open_enum::read_str(deserializer, Self::from_wire)
            }
        }
    };
}

/// Reads a string (borrowed when the input allows) and maps it; shared by every open enum.
#[doc(hidden)]
pub fn read_str<'de, D, T>(deserializer: D, from_wire: fn(&str) -> T) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
    Ok(from_wire(&s))
}

use serde::Deserialize;
