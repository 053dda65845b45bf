//! Validated values. Each constructor trims and checks its input, so that an invalid
//! value cannot exist past the edge of the system.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{FieldProblem, Invalid, Rule};

/// Longest auth name, in characters, after trimming.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest description, in characters, after trimming.
pub const MAX_DESCRIPTION_CHARS: usize = 4096;
/// Longest catalog label (and item key), in characters, after trimming.
pub const MAX_LABEL_CHARS: usize = 255;
/// Longest slug, in characters.
pub const MAX_SLUG_CHARS: usize = 128;
/// Longest item value, in characters (values are configuration, not documents).
pub const MAX_ITEM_VALUE_CHARS: usize = 8192;
/// Longest opaque identifier, in characters.
pub const MAX_ID_CHARS: usize = 128;

fn trimmed_len_checked(
    field: &str,
    raw: &str,
    min: usize,
    max: usize,
    what: &str,
) -> Result<String, Invalid> {
    let t = raw.trim();
    let what = what.to_owned();
    if t.chars().any(char::is_control) {
        return Err(Invalid::one(field, Rule::ControlCharacters { what }));
    }
    let len = t.chars().count();
    if len < min {
        return Err(Invalid::one(field, Rule::Blank { what }));
    }
    if len > max {
        return Err(Invalid::one(field, Rule::TooLong { what, len, max }));
    }
    Ok(t.to_owned())
}

macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value, consumed.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_newtype!(
    /// The name of an auth: 1..=255 characters after trimming, no control characters.
    /// Names are unique among auths, compared case-insensitively (see [`AuthName::key`]).
    AuthName
);
text_newtype!(
    /// A description: up to 4096 characters after trimming. A blank description is no
    /// description, so [`Description::parse`] answers `None` for it.
    Description
);
text_newtype!(
    /// A catalog entry's label: 1..=255 characters after trimming.
    Label
);
text_newtype!(
    /// A URL-safe key `^[a-z0-9]+(-[a-z0-9]+)*$`, at most 128 characters.
    Slug
);

impl AuthName {
    /// Trims and checks a name.
    ///
    /// # Errors
    /// Blank, longer than [`MAX_NAME_CHARS`], or holding control characters.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        trimmed_len_checked("name", raw, 1, MAX_NAME_CHARS, "name").map(Self)
    }

    /// The key under which names are compared for uniqueness (case-insensitive).
    pub fn key(&self) -> String {
        fold_case(&self.0)
    }
}

impl Description {
    /// Trims and checks a description; a blank one is `None`.
    ///
    /// # Errors
    /// Longer than [`MAX_DESCRIPTION_CHARS`], or holding control characters other than
    /// line breaks and tabs (descriptions are prose and may span lines).
    pub fn parse(raw: &str) -> Result<Option<Self>, Invalid> {
        let t = raw.trim();
        if t.is_empty() {
            return Ok(None);
        }
        let what = "description".to_owned();
        if t.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(Invalid::one(
                "description",
                Rule::ControlCharacters { what },
            ));
        }
        let len = t.chars().count();
        if len > MAX_DESCRIPTION_CHARS {
            return Err(Invalid::one(
                "description",
                Rule::TooLong {
                    what,
                    len,
                    max: MAX_DESCRIPTION_CHARS,
                },
            ));
        }
        Ok(Some(Self(t.to_owned())))
    }
}

impl Label {
    /// Trims and checks a label.
    ///
    /// # Errors
    /// Blank, longer than [`MAX_LABEL_CHARS`], or holding control characters.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        trimmed_len_checked("label", raw, 1, MAX_LABEL_CHARS, "label").map(Self)
    }

    /// The key under which labels of one catalog are compared (case-insensitive).
    pub fn key(&self) -> String {
        fold_case(&self.0)
    }
}

impl Slug {
    /// Trims and checks a slug against `^[a-z0-9]+(-[a-z0-9]+)*$`.
    ///
    /// # Errors
    /// Empty, too long, or not of that form (upper case, spaces, leading, trailing or
    /// doubled hyphens).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let t = raw.trim();
        let what = "slug".to_owned();
        if t.is_empty() {
            return Err(Invalid::one("slug", Rule::Blank { what }));
        }
        let len = t.chars().count();
        if len > MAX_SLUG_CHARS {
            return Err(Invalid::one(
                "slug",
                Rule::TooLong {
                    what,
                    len,
                    max: MAX_SLUG_CHARS,
                },
            ));
        }
        let well_formed = t.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !well_formed {
            return Err(Invalid::one(
                "slug",
                Rule::NotUrlSafe { slug: t.to_owned() },
            ));
        }
        Ok(Self(t.to_owned()))
    }
}

/// The case-folded form used for case-insensitive uniqueness and lookups. Lower-casing
/// with Unicode rules; the same function is used when writing and when looking up, so
/// that the stored key and the probe always agree.
pub fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

/// An item of configuration: a key, a value and whether the value is secret. Its
/// `Debug` never prints a secret value.
#[derive(Clone, PartialEq, Eq)]
pub struct ItemData {
    /// The key (`host`, `bind_dn`, ...): 1..=255 characters after trimming.
    pub key: Label,
    /// The value: up to 8192 characters; not trimmed (whitespace can matter in a value).
    pub value: String,
    /// A secret value is write-only: stored, never returned, never exported.
    pub secret: bool,
}

impl fmt::Debug for ItemData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemData")
            .field("key", &self.key)
            .field("value", &if self.secret { "[secret]" } else { &self.value })
            .field("secret", &self.secret)
            .finish()
    }
}

impl ItemData {
    /// Checks an item.
    ///
    /// # Errors
    /// A blank or too long key, or a too long value; all problems are reported.
    pub fn parse(key: &str, value: &str, secret: bool) -> Result<Self, Invalid> {
        let mut problems = Vec::new();
        let key = Label::parse(key).map_err(|e| problems.extend(e.for_field("key").problems));
        if value.contains('\0') {
            problems.push(FieldProblem::new(
                "value",
                Rule::NulCharacters {
                    what: "value".into(),
                },
            ));
        }
        let len = value.chars().count();
        if len > MAX_ITEM_VALUE_CHARS {
            problems.push(FieldProblem::new(
                "value",
                Rule::TooLong {
                    what: "value".into(),
                    len,
                    max: MAX_ITEM_VALUE_CHARS,
                },
            ));
        }
        match key {
            Ok(key) if problems.is_empty() => Ok(Self {
                key,
                value: value.to_owned(),
                secret,
            }),
            _ => Err(Invalid { problems }),
        }
    }
}

macro_rules! deserialize_through_parse {
    ($($name:ident),*) => {$(
        /// Deserializes through `parse`, so that no invalid value can be read either.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    )*};
}
deserialize_through_parse!(AuthName, Label, Slug);

/// Deserializes through [`Description::parse`]; a blank description is refused here
/// (use `Option<Description>` and `parse` to treat blank as none).
impl<'de> Deserialize<'de> for Description {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s)
            .map_err(serde::de::Error::custom)?
            .ok_or_else(|| {
                serde::de::Error::custom(Rule::Blank {
                    what: "description".into(),
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            AuthName::parse("  Corp LDAP \n").map(|n| n.into_inner()),
            Ok("Corp LDAP".into())
        );
        assert!(AuthName::parse("   ").is_err());
        assert!(AuthName::parse("").is_err());
        assert!(AuthName::parse(&"a".repeat(255)).is_ok());
        let err = AuthName::parse(&"a".repeat(256)).unwrap_err();
        assert_eq!(err.problems[0].field, "name");
        assert!(matches!(
            err.problems[0].rule,
            Rule::TooLong {
                len: 256,
                max: 255,
                ..
            }
        ));
        // Characters, not bytes: 255 two-byte characters are fine.
        assert!(AuthName::parse(&"é".repeat(255)).is_ok());
        assert!(AuthName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn name_keys_fold_case() {
        let a = AuthName::parse("Corp LDAP").unwrap();
        let b = AuthName::parse("corp ldap").unwrap();
        assert_eq!(a.key(), b.key());
        assert_ne!(a, b);
    }

    #[test]
    fn descriptions_blank_is_none_and_bounded() {
        assert_eq!(Description::parse("   "), Ok(None));
        assert_eq!(
            Description::parse(" two\nlines ")
                .unwrap()
                .map(|d| d.into_inner()),
            Some("two\nlines".into())
        );
        assert!(Description::parse(&"d".repeat(4096)).is_ok());
        assert_eq!(
            Description::parse(&"d".repeat(4097)).unwrap_err().problems[0].field,
            "description"
        );
        assert!(Description::parse("bell\u{7}").is_err());
    }

    #[test]
    fn slugs_follow_the_pattern() {
        for ok in ["a", "corp-ldap", "x1-2-y3", "0"] {
            assert!(Slug::parse(ok).is_ok(), "{ok} should be a slug");
        }
        for bad in ["", "-a", "a-", "a--b", "Corp", "a b", "a_b", "ä", "a.b"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should not be a slug");
        }
        assert!(Slug::parse(&"a".repeat(129)).is_err());
        assert_eq!(Slug::parse(" ok ").unwrap().as_str(), "ok");
    }

    #[test]
    fn labels_are_bounded() {
        assert!(Label::parse("Finance").is_ok());
        assert!(Label::parse(" ").is_err());
        assert!(Label::parse(&"l".repeat(256)).is_err());
    }

    #[test]
    fn a_secret_value_is_not_debug_printed() {
        let secret = ItemData::parse("bind_password", "hunter2", true).unwrap();
        assert!(!format!("{secret:?}").contains("hunter2"));
        let plain = ItemData::parse("host", "ldap.example.com", false).unwrap();
        assert!(format!("{plain:?}").contains("ldap.example.com"));
    }

    #[test]
    fn items_report_every_problem() {
        assert!(ItemData::parse("host", " ldap.example.com ", false).is_ok());
        assert_eq!(ItemData::parse("host", " v ", true).unwrap().value, " v ");
        let err = ItemData::parse(" ", &"v".repeat(8193), true).unwrap_err();
        let fields: Vec<_> = err.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["key", "value"]);
    }

    #[test]
    fn label_deserializes_through_parse() {
        let l: Label = serde_json::from_str("\"  Finance \"").unwrap();
        assert_eq!(l.as_str(), "Finance");
        assert!(serde_json::from_str::<Label>("\"  \"").is_err());
    }
}
