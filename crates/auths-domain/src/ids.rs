//! Opaque identifiers. Clients must not read meaning into them; the server makes them
//! (UUIDv7 text for new records, fixed words for seeded catalog entries) and accepts
//! any string of 1..=128 characters from `[A-Za-z0-9_.:-]` when parsing input, so that
//! an id can be safely logged and put in a URL.

use std::fmt;

use serde::Serialize;

use crate::error::{Invalid, Rule};
use crate::values::MAX_ID_CHARS;

fn check_id(field: &str, raw: &str) -> Result<String, Invalid> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(Invalid::one(field, Rule::Blank { what: "id".into() }));
    }
    if !t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
    {
        // Echoed at most as long as an id may be.
        let mut id: String = t.chars().take(MAX_ID_CHARS).collect();
        if id.len() < t.len() {
            id.push('…');
        }
        return Err(Invalid::one(field, Rule::MalformedId { id }));
    }
    // ASCII from here on: its length in bytes is its length in characters.
    if t.len() > MAX_ID_CHARS {
        return Err(Invalid::one(
            field,
            Rule::TooLong {
                what: "id".into(),
                len: t.len(),
                max: MAX_ID_CHARS,
            },
        ));
    }
    Ok(t.to_owned())
}

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Checks an id given for `", $field, "`.")]
            ///
            /// # Errors
            /// Blank, longer than 128 characters, or with characters outside
            /// `[A-Za-z0-9_.:-]`.
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                check_id($field, raw).map(Self)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_newtype!(
    /// The stable, opaque id of an auth (`auth_id` in the API).
    AuthId,
    "auth_id"
);
id_newtype!(
    /// The id shared by an auth and its duplicates.
    GroupId,
    "group_id"
);
id_newtype!(
    /// The id of a catalog entry (a name, flag, protocol, slug, item, department,
    /// location, ...).
    EntryId,
    "id"
);
id_newtype!(
    /// The id of a draft.
    DraftId,
    "draft_id"
);
id_newtype!(
    /// The id of a principal (an API key's record, not the key).
    PrincipalId,
    "principal_id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_safe_text_only() {
        assert!(AuthId::parse("0190f3a2-7c1e-7b1a-9a3e-1f2d3c4b5a69").is_ok());
        assert!(EntryId::parse("protocol:ldap").is_ok());
        assert_eq!(AuthId::parse(" a1 ").unwrap().as_str(), "a1");
        assert!(AuthId::parse("").is_err());
        assert!(AuthId::parse("a b").is_err());
        assert!(AuthId::parse("a/b").is_err());
        assert!(AuthId::parse(&"a".repeat(129)).is_err());
        assert_eq!(
            DraftId::parse("x y").unwrap_err().problems[0].field,
            "draft_id"
        );
    }

    #[test]
    fn a_wrong_id_is_told_by_its_characters_before_its_length() {
        let rule = |raw: &str| AuthId::parse(raw).unwrap_err().problems[0].rule.clone();
        assert_eq!(
            rule(&"a".repeat(129)),
            Rule::TooLong {
                what: "id".into(),
                len: 129,
                max: MAX_ID_CHARS
            }
        );
        // 60 characters, 120 bytes: not "too long", but not an id either.
        assert!(matches!(rule(&"é".repeat(60)), Rule::MalformedId { .. }));
        // A long wrong id is echoed cut at the length of an id.
        let Rule::MalformedId { id } = rule(&"é".repeat(10_000)) else {
            unreachable!()
        };
        assert_eq!(id.chars().count(), MAX_ID_CHARS + 1);
    }
}
