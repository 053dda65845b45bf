//! Foreman's `scoped_search` query language, the part the Foreman-compatible API needs:
//! a hand-written tokenizer and recursive-descent parser (here), a checker that types
//! the query against a resource's fields with Foreman's error messages ([`check()`]),
//! and the evaluation of a checked filter against a record ([`matches()`]), which states
//! the semantics that the store's SQL must reproduce.
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

mod check;
mod eval;
#[cfg(test)]
mod tests;

use std::fmt;
use std::iter::Peekable;
use std::str::Chars;

pub use check::{Direction, FieldType, Filter, Pattern, SearchField, Value, check, parse_order};
pub use eval::{FieldValues, Values, matches};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 4096;
/// Deepest nesting of parentheses and negations.
pub const MAX_DEPTH: usize = 64;
/// Most conditions (bare words, phrases and `field op value` terms) in one query.
pub const MAX_CONDITIONS: usize = 100;

/// A query that cannot be run. `Display` is what Foreman says (class
/// `ScopedSearch::QueryNotSupported`), for the errors the spec names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The query is not well formed, too long, or nested too deeply.
    #[error("{message}")]
    Syntax {
        /// What is wrong, and where.
        message: String,
    },
    /// A field the resource does not search.
    #[error("Field '{field}' not recognized for searching!")]
    UnknownField {
        /// The field as written.
        field: String,
    },
    /// A value that is not of the field's type.
    #[error("Value '{value}' is not valid for field '{field}'")]
    InvalidValue {
        /// The value as written.
        value: String,
        /// The field.
        field: &'static str,
    },
    /// `~` or `!~` on an integer field.
    #[error("the operator 'like' is not supported for field type 'integer'")]
    LikeOnInteger,
    /// An order by a field that cannot be sorted on.
    #[error("the field '{field}' in the order statement is not valid field for search")]
    UnknownOrderField {
        /// The field as written.
        field: String,
    },
    /// An order direction that is neither ASC nor DESC.
    #[error("the direction '{direction}' in the order statement is neither ASC nor DESC")]
    BadDirection {
        /// The direction as written.
        direction: String,
    },
    /// An order statement with more than a field and a direction.
    #[error("the order statement is 'field [ASC|DESC]'")]
    OrderSyntax,
}

fn err<T>(message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError::Syntax {
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
    conditions: usize,
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
        // As scoped_search does: an `and` or `or` where an operand starts joins it to
        // nothing (`& a` is `a`).
        while matches!(self.peek(), Some(Token::And | Token::Or)) {
            self.at += 1;
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
        if !matches!(self.peek(), Some(Token::LParen)) {
            // Every other primary is one condition; a long chain of them would make a
            // tree every later pass walks by recursion.
            self.conditions += 1;
            if self.conditions > MAX_CONDITIONS {
                return err(format!(
                    "the query has more than {MAX_CONDITIONS} conditions"
                ));
            }
        }
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
            // A comparison without a field (`^ (a, b)`, `= a`): on the default field, as
            // scoped_search reads it.
            Some(Token::Op(op)) => {
                let values = if matches!(op, Op::In | Op::NotIn) {
                    self.list(op)?
                } else {
                    vec![self.value(op)?]
                };
                Ok(Query::Cond {
                    field: None,
                    op,
                    values,
                })
            }
            Some(t) => err(format!("unexpected {} in the query", describe(&t))),
            None => err("the query ends too early"),
        }
    }
}

/// Parses a query; `None` for an empty (or blank) one.
///
/// # Errors
/// A query that is not well formed, too long, nested too deeply, or of more than
/// [`MAX_CONDITIONS`] conditions.
pub fn parse(input: &str) -> Result<Option<Query>, QueryError> {
    if input.chars().count() > MAX_QUERY_CHARS {
        return err(format!(
            "the query is longer than {MAX_QUERY_CHARS} characters"
        ));
    }
    let mut tokens = tokenize(input)?;
    // As scoped_search does (4.1.13+): logical operators at the end mean nothing
    // (`name = a and` is `name = a`).
    while matches!(tokens.last(), Some(Token::And | Token::Or | Token::Not)) {
        tokens.pop();
    }
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut p = Parser {
        tokens,
        at: 0,
        conditions: 0,
    };
    let q = p.or(0)?;
    match p.next() {
        None => Ok(Some(q)),
        Some(t) => err(format!("unexpected {} in the query", describe(&t))),
    }
}
