//! Foreman's `scoped_search` query language, the part the Foreman-compatible API needs:
//! a hand-written tokenizer and recursive-descent parser, and a checker that types the
//! query against a resource's fields with Foreman's error messages.
//!
//! ```text
//! query   := or
//! or      := and (("or" | "|" | "||") and)*
//! and     := unary ((("and" | "&" | "&&") | <nothing>) unary)*
//! unary   := ("not" | "-" | "!") unary | primary
//! primary := "(" or ")" | ("set?" | "has" | "null?") FIELD
//!          | WORD OP value | WORD | QUOTED          (a bare word or phrase searches the default field)
//! OP      := "=" | "==" | "!=" | "<>" | ">" | "<" | ">=" | "<=" | "~" | "!~" | "^" | "!^"
//! value   := WORD | QUOTED | "(" value ("," value)* ")"   (lists after ^ and !^)
//! ```
//! Keywords are case-insensitive; `\` escapes the next character. The result never
//! holds SQL: the store compiles a [`Filter`] into bound parameters.

use std::fmt;
use std::iter::Peekable;
use std::str::Chars;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 4096;
/// Deepest nesting of parentheses and negations.
pub const MAX_DEPTH: usize = 64;

/// A query that cannot be run; `message` is what Foreman says (class
/// `ScopedSearch::QueryNotSupported`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// The message.
    pub message: String,
}

fn err<T>(message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError {
        message: message.into(),
    })
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`, `==`.
    Eq,
    /// `!=`, `<>`.
    Ne,
    /// `>`.
    Gt,
    /// `<`.
    Lt,
    /// `>=`.
    Ge,
    /// `<=`.
    Le,
    /// `~`: case-insensitive substring, `*` a wildcard.
    Like,
    /// `!~`.
    NotLike,
    /// `^ (a, b)`.
    In,
    /// `!^ (a, b)`.
    NotIn,
    /// `set? f`, `has f`.
    Set,
    /// `null? f`.
    Null,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Eq => "=",
            Self::Ne => "<>",
            Self::Gt => ">",
            Self::Lt => "<",
            Self::Ge => ">=",
            Self::Le => "<=",
            Self::Like => "like",
            Self::NotLike => "not like",
            Self::In => "in",
            Self::NotIn => "not in",
            Self::Set => "set?",
            Self::Null => "null?",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Op(Op),
    LParen,
    RParen,
    Comma,
    And,
    Or,
    Not,
    Set,
    Null,
}

fn describe(t: &Token) -> String {
    match t {
        Token::Word(w) | Token::Quoted(w) => format!("'{w}'"),
        Token::Op(o) => format!("'{o}'"),
        Token::LParen => "'('".into(),
        Token::RParen => "')'".into(),
        Token::Comma => "','".into(),
        Token::And => "'and'".into(),
        Token::Or => "'or'".into(),
        Token::Not => "'not'".into(),
        Token::Set => "'set?'".into(),
        Token::Null => "'null?'".into(),
    }
}

const SPECIAL: &[char] = &['(', ')', '"', ',', '=', '!', '<', '>', '~', '^', '&', '|'];

fn take_if(chars: &mut Peekable<Chars<'_>>, c: char) -> bool {
    chars.next_if_eq(&c).is_some()
}

fn tokenize(input: &str) -> Result<Vec<Token>, QueryError> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        let token = match c {
            c if c.is_whitespace() => continue,
            '(' => Token::LParen,
            ')' => Token::RParen,
            ',' => Token::Comma,
            '&' => {
                take_if(&mut chars, '&');
                Token::And
            }
            '|' => {
                take_if(&mut chars, '|');
                Token::Or
            }
            '=' => {
                take_if(&mut chars, '=');
                Token::Op(Op::Eq)
            }
            '~' => Token::Op(Op::Like),
            '^' => Token::Op(Op::In),
            '!' if take_if(&mut chars, '=') => Token::Op(Op::Ne),
            '!' if take_if(&mut chars, '~') => Token::Op(Op::NotLike),
            '!' if take_if(&mut chars, '^') => Token::Op(Op::NotIn),
            '!' => Token::Not,
            '<' if take_if(&mut chars, '>') => Token::Op(Op::Ne),
            '<' if take_if(&mut chars, '=') => Token::Op(Op::Le),
            '<' => Token::Op(Op::Lt),
            '>' if take_if(&mut chars, '=') => Token::Op(Op::Ge),
            '>' => Token::Op(Op::Gt),
            '"' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return err("the query has an unterminated quoted string"),
                        Some('"') => break,
                        Some('\\') => s.extend(chars.next()),
                        Some(c) => s.push(c),
                    }
                }
                Token::Quoted(s)
            }
            '-' if chars.peek().is_some_and(|n| !n.is_whitespace()) => Token::Not,
            c => {
                let mut s = String::new();
                let mut next = Some(c);
                while let Some(c) = next {
                    if c == '\\' {
                        s.extend(chars.next());
                    } else {
                        s.push(c);
                    }
                    next = chars.next_if(|n| !n.is_whitespace() && !SPECIAL.contains(n));
                }
                match s.to_ascii_lowercase().as_str() {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "not" => Token::Not,
                    "set?" | "has" => Token::Set,
                    "null?" => Token::Null,
                    _ => Token::Word(s),
                }
            }
        };
        out.push(token);
    }
    Ok(out)
}

/// A parsed query, before it is checked against fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Both.
    And(Box<Query>, Box<Query>),
    /// Either.
    Or(Box<Query>, Box<Query>),
    /// Not.
    Not(Box<Query>),
    /// `field op values`; `field` is `None` for a bare word or phrase.
    Cond {
        /// The field, as written.
        field: Option<String>,
        /// The operator.
        op: Op,
        /// The values (none for set?/null?, several for ^ and !^).
        values: Vec<String>,
    },
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn or(&mut self, depth: usize) -> Result<Query, QueryError> {
        let mut left = self.and(depth)?;
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            let right = self.and(depth)?;
            left = Query::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Query, QueryError> {
        let mut left = self.unary(depth)?;
        loop {
            match self.peek() {
                Some(Token::And) => self.at += 1,
                Some(
                    Token::Word(_)
                    | Token::Quoted(_)
                    | Token::Not
                    | Token::LParen
                    | Token::Set
                    | Token::Null,
                ) => {}
                _ => break,
            }
            let right = self.unary(depth)?;
            left = Query::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Query, QueryError> {
        if depth > MAX_DEPTH {
            return err(format!(
                "the query is nested deeper than {MAX_DEPTH} levels"
            ));
        }
        if self.peek() == Some(&Token::Not) {
            self.at += 1;
            return Ok(Query::Not(Box::new(self.unary(depth + 1)?)));
        }
        self.primary(depth)
    }

    fn value(&mut self, after: Op) -> Result<String, QueryError> {
        match self.next() {
            Some(Token::Word(w) | Token::Quoted(w)) => Ok(w),
            Some(t) => err(format!(
                "a value was expected after '{after}', not {}",
                describe(&t)
            )),
            None => err(format!("a value was expected after '{after}'")),
        }
    }

    fn list(&mut self, after: Op) -> Result<Vec<String>, QueryError> {
        if self.peek() != Some(&Token::LParen) {
            return Ok(vec![self.value(after)?]);
        }
        self.at += 1;
        let mut values = vec![self.value(after)?];
        loop {
            match self.next() {
                Some(Token::Comma) => values.push(self.value(after)?),
                Some(Token::RParen) => return Ok(values),
                Some(t) => {
                    return err(format!(
                        "',' or ')' was expected in the list, not {}",
                        describe(&t)
                    ));
                }
                None => return err("the list is not closed with ')'"),
            }
        }
    }

    fn primary(&mut self, depth: usize) -> Result<Query, QueryError> {
        match self.next() {
            Some(Token::LParen) => {
                let q = self.or(depth + 1)?;
                match self.next() {
                    Some(Token::RParen) => Ok(q),
                    Some(t) => err(format!("')' was expected, not {}", describe(&t))),
                    None => err("a '(' is not closed"),
                }
            }
            Some(t @ (Token::Set | Token::Null)) => {
                let op = if t == Token::Set { Op::Set } else { Op::Null };
                match self.next() {
                    Some(Token::Word(f)) => Ok(Query::Cond {
                        field: Some(f),
                        op,
                        values: Vec::new(),
                    }),
                    _ => err(format!("a field name was expected after '{op}'")),
                }
            }
            Some(Token::Word(w)) => match self.peek() {
                Some(Token::Op(op)) => {
                    let op = *op;
                    self.at += 1;
                    let values = if matches!(op, Op::In | Op::NotIn) {
                        self.list(op)?
                    } else {
                        vec![self.value(op)?]
                    };
                    Ok(Query::Cond {
                        field: Some(w),
                        op,
                        values,
                    })
                }
                _ => Ok(Query::Cond {
                    field: None,
                    op: Op::Like,
                    values: vec![w],
                }),
            },
            Some(Token::Quoted(q)) => Ok(Query::Cond {
                field: None,
                op: Op::Like,
                values: vec![q],
            }),
            Some(t) => err(format!("unexpected {} in the query", describe(&t))),
            None => err("the query ends too early"),
        }
    }
}

/// Parses a query; `None` for an empty (or blank) one.
///
/// # Errors
/// A query that is not well formed, too long, or nested too deeply.
pub fn parse(input: &str) -> Result<Option<Query>, QueryError> {
    if input.chars().count() > MAX_QUERY_CHARS {
        return err(format!(
            "the query is longer than {MAX_QUERY_CHARS} characters"
        ));
    }
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut p = Parser { tokens, at: 0 };
    let q = p.or(0)?;
    match p.next() {
        None => Ok(Some(q)),
        Some(t) => err(format!("unexpected {} in the query", describe(&t))),
    }
}

/// A field's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Whole numbers.
    Integer,
    /// Text.
    String,
}

/// A searchable field of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Its name in queries.
    pub name: &'static str,
    /// Its type.
    pub ty: FieldType,
}

/// A checked value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// For integer fields.
    Int(i64),
    /// For string fields: exact text for `=`, `<>`, `^`, ...; a `LIKE` pattern (with
    /// `\` escapes, `%` wildcards, case-folded) for `~` and `!~`.
    Text(String),
}

/// A checked query: fields resolved, values typed. The store compiles it to SQL with
/// bound parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Both.
    And(Box<Filter>, Box<Filter>),
    /// Either.
    Or(Box<Filter>, Box<Filter>),
    /// Not.
    Not(Box<Filter>),
    /// One condition.
    Term {
        /// The field.
        field: &'static str,
        /// The operator.
        op: Op,
        /// The values.
        values: Vec<Value>,
    },
}

/// `*` becomes `%`, literal `%`, `_` and `\` are escaped; without a `*` the pattern
/// matches anywhere (a substring).
fn like_pattern(raw: &str) -> String {
    let mut p = String::new();
    for c in crate::values::fold_case(raw).chars() {
        match c {
            '*' => p.push('%'),
            '%' | '_' | '\\' => {
                p.push('\\');
                p.push(c);
            }
            c => p.push(c),
        }
    }
    if raw.contains('*') {
        p
    } else {
        format!("%{p}%")
    }
}

/// Checks a parsed query against `fields`; bare words search `default`.
///
/// # Errors
/// Foreman's messages: an unknown field, a value that is not an integer for an integer
/// field, a like on an integer field.
pub fn check(query: &Query, fields: &[Field], default: &'static str) -> Result<Filter, QueryError> {
    Ok(match query {
        Query::And(a, b) => Filter::And(
            Box::new(check(a, fields, default)?),
            Box::new(check(b, fields, default)?),
        ),
        Query::Or(a, b) => Filter::Or(
            Box::new(check(a, fields, default)?),
            Box::new(check(b, fields, default)?),
        ),
        Query::Not(a) => Filter::Not(Box::new(check(a, fields, default)?)),
        Query::Cond { field, op, values } => {
            let name = field.as_deref().unwrap_or(default);
            let Some(f) = fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)) else {
                return err(format!("Field '{name}' not recognized for searching!"));
            };
            let typed = match (f.ty, op) {
                (FieldType::Integer, Op::Like | Op::NotLike) => {
                    return err(format!(
                        "the operator '{}' is not supported for field type 'integer'",
                        Op::Like
                    ));
                }
                (FieldType::Integer, _) => values
                    .iter()
                    .map(|v| {
                        v.trim()
                            .parse::<i64>()
                            .map(Value::Int)
                            .map_err(|_| QueryError {
                                message: format!("Value '{v}' is not valid for field '{}'", f.name),
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                (FieldType::String, Op::Like | Op::NotLike) => values
                    .iter()
                    .map(|v| Value::Text(like_pattern(v)))
                    .collect(),
                (FieldType::String, _) => values.iter().map(|v| Value::Text(v.clone())).collect(),
            };
            Filter::Term {
                field: f.name,
                op: *op,
                values: typed,
            }
        }
    })
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// Parses `order` (`field [ASC|DESC]`) against the sortable fields; answers the field
/// and the direction as given (`None` when only a field is given).
///
/// # Errors
/// Foreman's message for an unknown field; a direction that is neither ASC nor DESC.
pub fn parse_order(
    order: &str,
    sortable: &[&'static str],
) -> Result<(&'static str, Option<Direction>), QueryError> {
    let mut words = order.split_whitespace();
    let field = words.next().unwrap_or("");
    let Some(f) = sortable.iter().find(|s| s.eq_ignore_ascii_case(field)) else {
        return err(format!(
            "the field '{field}' in the order statement is not valid field for search"
        ));
    };
    let dir = match words.next().map(str::to_ascii_uppercase).as_deref() {
        None => None,
        Some("ASC") => Some(Direction::Asc),
        Some("DESC") => Some(Direction::Desc),
        Some(other) => {
            return err(format!(
                "the direction '{other}' in the order statement is neither ASC nor DESC"
            ));
        }
    };
    if words.next().is_some() {
        return err("the order statement is 'field [ASC|DESC]'");
    }
    Ok((f, dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::external::FIELDS;

    fn filter(q: &str) -> Result<Filter, QueryError> {
        check(
            &parse(q)?.ok_or(QueryError {
                message: "empty".into(),
            })?,
            &FIELDS,
            "name",
        )
    }

    fn term(field: &'static str, op: Op, values: Vec<Value>) -> Filter {
        Filter::Term { field, op, values }
    }

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn every_operator() {
        let cases = [
            ("name = a", Op::Eq),
            ("name == a", Op::Eq),
            ("name != a", Op::Ne),
            ("name <> a", Op::Ne),
            ("name > a", Op::Gt),
            ("name < a", Op::Lt),
            ("name >= a", Op::Ge),
            ("name <= a", Op::Le),
        ];
        for (q, op) in cases {
            assert_eq!(filter(q), Ok(term("name", op, vec![t("a")])), "{q}");
        }
        assert_eq!(
            filter("name ~ Ad*"),
            Ok(term("name", Op::Like, vec![t("ad%")]))
        );
        assert_eq!(
            filter("name !~ ad"),
            Ok(term("name", Op::NotLike, vec![t("%ad%")]))
        );
        assert_eq!(
            filter("name ~ 50%_x"),
            Ok(term("name", Op::Like, vec![t("%50\\%\\_x%")]))
        );
        assert_eq!(
            filter("id ^ (1, 2,3)"),
            Ok(term(
                "id",
                Op::In,
                vec![Value::Int(1), Value::Int(2), Value::Int(3)]
            ))
        );
        assert_eq!(
            filter("id !^ (4)"),
            Ok(term("id", Op::NotIn, vec![Value::Int(4)]))
        );
        assert_eq!(
            filter("id ^ 5"),
            Ok(term("id", Op::In, vec![Value::Int(5)]))
        );
        assert_eq!(
            filter("set? location"),
            Ok(term("location", Op::Set, vec![]))
        );
        assert_eq!(
            filter("has organization"),
            Ok(term("organization", Op::Set, vec![]))
        );
        assert_eq!(
            filter("null? location"),
            Ok(term("location", Op::Null, vec![]))
        );
        assert_eq!(
            filter("id>3"),
            Ok(term("id", Op::Gt, vec![Value::Int(3)])),
            "no spaces needed"
        );
    }

    #[test]
    fn logic_keywords_grouping_and_precedence() {
        let a = || term("name", Op::Eq, vec![t("a")]);
        let b = || term("id", Op::Eq, vec![Value::Int(1)]);
        let and = |x: Filter, y: Filter| Filter::And(Box::new(x), Box::new(y));
        let or = |x: Filter, y: Filter| Filter::Or(Box::new(x), Box::new(y));
        for q in [
            "name = a and id = 1",
            "name = a AND id = 1",
            "name = a & id = 1",
            "name = a && id = 1",
            "name = a id = 1",
        ] {
            assert_eq!(filter(q), Ok(and(a(), b())), "{q}");
        }
        for q in [
            "name = a or id = 1",
            "name = a OR id = 1",
            "name = a | id = 1",
            "name = a || id = 1",
        ] {
            assert_eq!(filter(q), Ok(or(a(), b())), "{q}");
        }
        for q in ["not name = a", "NOT name = a", "-name = a", "! name = a"] {
            assert_eq!(filter(q), Ok(Filter::Not(Box::new(a()))), "{q}");
        }
        // and binds tighter than or; parentheses override.
        assert_eq!(
            filter("name = a or id = 1 and id = 1"),
            Ok(or(a(), and(b(), b())))
        );
        assert_eq!(
            filter("(name = a or id = 1) and id = 1"),
            Ok(and(or(a(), b()), b()))
        );
    }

    #[test]
    fn bare_words_quoting_and_escapes() {
        assert_eq!(
            filter("External"),
            Ok(term("name", Op::Like, vec![t("%external%")]))
        );
        assert_eq!(
            filter("\"Corp LDAP\""),
            Ok(term("name", Op::Like, vec![t("%corp ldap%")]))
        );
        assert_eq!(
            filter("name = \"Corp LDAP\""),
            Ok(term("name", Op::Eq, vec![t("Corp LDAP")]))
        );
        assert_eq!(
            filter(r#"name = "a \"b\"""#),
            Ok(term("name", Op::Eq, vec![t("a \"b\"")]))
        );
        assert_eq!(
            filter(r"name = a\ b"),
            Ok(term("name", Op::Eq, vec![t("a b")]))
        );
        assert_eq!(
            filter("corp-ldap"),
            Ok(term("name", Op::Like, vec![t("%corp-ldap%")])),
            "hyphens inside words"
        );
        assert_eq!(
            filter("location = \"Location 1\""),
            Ok(term("location", Op::Eq, vec![t("Location 1")]))
        );
        assert_eq!(parse("   "), Ok(None));
    }

    #[test]
    fn foremans_errors() {
        let msg = |q: &str| filter(q).unwrap_err().message;
        assert_eq!(msg("foo = 1"), "Field 'foo' not recognized for searching!");
        assert_eq!(msg("id = x"), "Value 'x' is not valid for field 'id'");
        assert_eq!(
            msg("location_id ^ (1, y)"),
            "Value 'y' is not valid for field 'location_id'"
        );
        assert_eq!(
            msg("id ~ 1"),
            "the operator 'like' is not supported for field type 'integer'"
        );
        assert_eq!(msg("set? foo"), "Field 'foo' not recognized for searching!");
        for bad in [
            "name =",
            "(name = a",
            "name = a)",
            "id ^ (1,",
            "\"open",
            "and",
            "name = (a)",
            "set?",
            ")",
        ] {
            assert!(filter(bad).is_err(), "{bad:?} should be an error");
        }
        assert!(
            parse(&"(".repeat(10_000)).is_err(),
            "deep nesting is refused, not a stack overflow"
        );
        assert!(parse(&"x ".repeat(5000)).is_err(), "too long");
    }

    #[test]
    fn order_statements() {
        let sortable = ["id", "name"];
        assert_eq!(parse_order("name", &sortable), Ok(("name", None)));
        assert_eq!(
            parse_order("id DESC", &sortable),
            Ok(("id", Some(Direction::Desc)))
        );
        assert_eq!(
            parse_order("Name asc", &sortable),
            Ok(("name", Some(Direction::Asc)))
        );
        assert_eq!(
            parse_order("foo", &sortable).unwrap_err().message,
            "the field 'foo' in the order statement is not valid field for search"
        );
        assert!(parse_order("id sideways", &sortable).is_err());
    }

    mod properties {
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn no_input_makes_the_parser_panic(s in "\\PC{0,120}") {
                if let Ok(Some(q)) = super::parse(&s) {
                    let _ = super::check(&q, &super::FIELDS, "name");
                }
            }

            #[test]
            fn query_shaped_input_never_panics(parts in proptest::collection::vec(prop_oneof![
                Just("name"), Just("id"), Just("location"), Just("="), Just("!="), Just("~"), Just("!~"), Just("^"),
                Just("!^"), Just("("), Just(")"), Just(","), Just("and"), Just("or"), Just("not"), Just("-"), Just("!"),
                Just("set?"), Just("null?"), Just("\""), Just("\\"), Just("3"), Just("x*"), Just("&&"), Just("||"),
            ], 0..40)) {
                let q = parts.join(" ");
                if let Ok(Some(parsed)) = super::parse(&q) {
                    let _ = super::check(&parsed, &super::FIELDS, "name");
                }
                let _ = super::parse(&parts.concat());
            }
        }
    }
}
