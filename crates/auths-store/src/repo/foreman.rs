//! The Foreman-compatible index: auths with the `external` protocol, filtered by a
//! checked scoped_search [`Filter`], compiled here to SQL with bound parameters.

use auths_domain::RepoError;
use auths_domain::external::{
    ExternalField, ExternalHits, ExternalQuery, TaxonomyField, TaxonomyQuery,
};
use auths_domain::ldap::SourceKind;
use auths_domain::scoped_search::{Direction, Filter, Op, Pattern, Value};
use auths_domain::values::fold_case;

use super::search::{Bind, Count, Number, Sql, run_sql};
use diesel::RunQueryDsl;

use crate::db::StoreTx;

fn sql_op(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Ne => "<>",
        Op::Gt => ">",
        Op::Lt => "<",
        Op::Ge => ">=",
        Op::Le => "<=",
        _ => "=",
    }
}

/// A `LIKE ... ESCAPE '\'` pattern for a scoped_search pattern: its pieces escaped,
/// joined by `%`, and surrounded by `%` when it is not anchored.
fn like(p: &Pattern) -> String {
    let mut out = String::new();
    if !p.anchored() {
        out.push('%');
    }
    for (i, piece) in p.pieces().iter().enumerate() {
        if i > 0 {
            out.push('%');
        }
        super::escape_like(piece, &mut out);
    }
    if !p.anchored() {
        out.push('%');
    }
    out
}

fn bind_value(sql: &mut Sql, v: &Value) {
    match v {
        Value::Int(n) => sql.bind(Bind::Int(*n)),
        // Text is compared case-folded, like the stored keys; patterns are folded
        // already.
        Value::Text(t) => sql.bind(Bind::Text(fold_case(t))),
        Value::Pattern(p) => sql.bind(Bind::Text(like(p))),
    };
}

fn values_list(sql: &mut Sql, values: &[Value]) {
    sql.push("(");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        bind_value(sql, v);
    }
    if values.is_empty() {
        sql.push("NULL");
    }
    sql.push(")");
}

/// `column op value(s)` for one condition on a plain column.
fn compare(sql: &mut Sql, column: &str, op: Op, values: &[Value]) {
    let first = values.first();
    match (op, first) {
        (Op::Set, _) => {
            sql.push("1 = 1");
        }
        (Op::Null, _) => {
            sql.push("1 = 0");
        }
        (Op::Like | Op::NotLike, Some(v)) => {
            sql.push(column).push(if op == Op::Like {
                " LIKE "
            } else {
                " NOT LIKE "
            });
            bind_value(sql, v);
            sql.push(" ESCAPE '\\'");
        }
        (Op::In | Op::NotIn, _) => {
            sql.push(column)
                .push(if op == Op::In { " IN " } else { " NOT IN " });
            values_list(sql, values);
        }
        (_, Some(v)) => {
            sql.push(column).push(" ").push(sql_op(op)).push(" ");
            bind_value(sql, v);
        }
        (_, None) => {
            sql.push("1 = 0");
        }
    }
}

/// A condition on a taxonomy: it holds when any of the auth's locations or
/// organizations meets it, a negated one included (`!= 13` finds an auth in 13 and 14,
/// not one in none: foreman-v2 spec); `null?` when the auth has none.
fn taxonomy(sql: &mut Sql, kind: &str, column: &str, op: Op, values: &[Value]) {
    let none = op == Op::Null;
    sql.push(if none { "NOT EXISTS (" } else { "EXISTS (" })
        .push("SELECT 1 FROM auth_links l JOIN catalog_entries e ON e.id = l.entry_id WHERE l.auth_number = a.number AND l.kind = '")
        .push(kind)
        .push("'");
    if !matches!(op, Op::Set | Op::Null) {
        sql.push(" AND ");
        compare(sql, column, op, values);
    }
    sql.push(")");
}

/// A condition on the `host` item, held like a taxonomy: by the auth's item keyed
/// `host` (none: `null?`). Values compare case-folded, as the domain's rule does.
fn host(sql: &mut Sql, op: Op, values: &[Value]) {
    let false_ = if sql.pg { "FALSE" } else { "0" };
    sql.push(if op == Op::Null {
        "NOT EXISTS ("
    } else {
        "EXISTS ("
    })
    .push("SELECT 1 FROM auth_links l JOIN catalog_entries e ON e.id = l.entry_id WHERE l.auth_number = a.number AND l.kind = 'items' AND e.secret = ")
    .push(false_)
    .push(" AND LOWER(e.item_key) = 'host' AND e.item_value IS NOT NULL");
    if !matches!(op, Op::Set | Op::Null) {
        sql.push(" AND ");
        compare(sql, "LOWER(e.item_value)", op, values);
    }
    sql.push(")");
}

fn compile(sql: &mut Sql, f: &Filter<ExternalField>) {
    match f {
        Filter::And(a, b) | Filter::Or(a, b) => {
            sql.push("(");
            compile(sql, a);
            sql.push(if matches!(f, Filter::And(..)) {
                " AND "
            } else {
                " OR "
            });
            compile(sql, b);
            sql.push(")");
        }
        Filter::Not(a) => {
            sql.push("NOT (");
            compile(sql, a);
            sql.push(")");
        }
        Filter::Term { field, op, values } => match field {
            ExternalField::Id => compare(sql, "a.number", *op, values),
            ExternalField::Name => compare(sql, "a.name_key", *op, values),
            ExternalField::Location => taxonomy(sql, "locations", "e.label_key", *op, values),
            ExternalField::Organization => {
                taxonomy(sql, "departments", "e.label_key", *op, values);
            }
            ExternalField::LocationId => taxonomy(sql, "locations", "e.number", *op, values),
            ExternalField::OrganizationId => {
                taxonomy(sql, "departments", "e.number", *op, values);
            }
            ExternalField::Host => host(sql, *op, values),
        },
    }
}

/// The SQL condition a checked filter compiles to, and how many parameters it binds
/// (for benchmarks and for reading; the store builds the same text when it runs one).
pub fn filter_sql(filter: &Filter<ExternalField>, postgres: bool) -> (String, usize) {
    let mut sql = Sql::new(postgres);
    compile(&mut sql, filter);
    (sql.text, sql.binds.len())
}

impl StoreTx {
    pub(crate) fn externals(&mut self, q: &ExternalQuery) -> Result<ExternalHits, RepoError> {
        let pg = self.is_pg();
        let mut base = Sql::new(pg);
        let protocols: Vec<String> = match q.kind {
            Some(kind) => kind
                .protocol_ids()
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            None => SourceKind::ALL
                .iter()
                .flat_map(|k| k.protocol_ids().iter().map(|p| (*p).to_owned()))
                .collect(),
        };
        base.push(" FROM auths a WHERE a.number IN (SELECT auth_number FROM auth_links WHERE kind = 'protocols' AND entry_id IN (");
        for (i, p) in protocols.into_iter().enumerate() {
            if i > 0 {
                base.push(", ");
            }
            base.bind(Bind::Text(p));
        }
        base.push("))");
        for (kind, number) in [("locations", q.location), ("departments", q.organization)] {
            if let Some(n) = number {
                base.push(" AND a.number IN (SELECT l.auth_number FROM auth_links l JOIN catalog_entries e ON e.id = l.entry_id WHERE l.kind = '")
                    .push(kind)
                    .push("' AND e.number = ")
                    .bind(Bind::Int(n))
                    .push(")");
            }
        }
        if let Some(scope) = &q.scope {
            base.push(" AND a.number IN (SELECT auth_number FROM auth_links WHERE kind = 'departments' AND entry_id IN ")
                .in_list(scope)
                .push(")");
        }
        let count = |tx: &mut Self, from: &Sql| -> Result<u64, RepoError> {
            let mut c = Sql::new(pg);
            c.push("SELECT COUNT(*) AS n").append(from);
            let rows: Vec<Count> = run_sql!(tx.conn(), &c, load::<Count>)?;
            Ok(rows.first().map_or(0, |r| u64::try_from(r.n).unwrap_or(0)))
        };
        let total = if q.counted { count(self, &base)? } else { 0 };
        let mut matching = base;
        if let Some(f) = &q.filter {
            matching.push(" AND ");
            compile(&mut matching, f);
        }
        let subtotal = if q.filter.is_some() && q.counted {
            count(self, &matching)?
        } else {
            total
        };

        let mut page = Sql::new(pg);
        page.push("SELECT a.number AS number").append(&matching);
        let dir = if q.order.1 == Direction::Desc {
            " DESC"
        } else {
            " ASC"
        };
        match q.order.0 {
            ExternalField::Name => page
                .push(" ORDER BY a.name_key")
                .push(dir)
                .push(", a.number")
                .push(dir),
            _ => page.push(" ORDER BY a.number").push(dir),
        };
        if let Some(p) = q.page {
            page.push(" LIMIT ")
                .bind(Bind::Int(i64::from(p.limit)))
                .push(" OFFSET ")
                .bind(Bind::Int(i64::try_from(p.offset).unwrap_or(i64::MAX)));
        }
        let numbers = run_sql!(self.conn(), &page, load::<Number>)?
            .into_iter()
            .map(|n| n.number)
            .collect();
        Ok(ExternalHits {
            numbers,
            total,
            subtotal,
        })
    }
}

/// A filter over a taxonomy's fields, on `catalog_entries ce`.
fn compile_taxonomy(sql: &mut Sql, f: &Filter<TaxonomyField>) {
    match f {
        Filter::And(a, b) | Filter::Or(a, b) => {
            sql.push("(");
            compile_taxonomy(sql, a);
            sql.push(if matches!(f, Filter::And(..)) {
                " AND "
            } else {
                " OR "
            });
            compile_taxonomy(sql, b);
            sql.push(")");
        }
        Filter::Not(a) => {
            sql.push("NOT (");
            compile_taxonomy(sql, a);
            sql.push(")");
        }
        Filter::Term { field, op, values } => match field {
            TaxonomyField::Id => compare(sql, "ce.number", *op, values),
            TaxonomyField::Name | TaxonomyField::Title => {
                compare(sql, "ce.label_key", *op, values);
            }
        },
    }
}

impl StoreTx {
    /// [`auths_domain::CatalogRepository::search_taxonomies`]: the filter compiled to
    /// SQL, the caller's scope by the one scope rule, the order with ties by number.
    pub(crate) fn taxonomies_page(
        &mut self,
        kind: auths_domain::CatalogKind,
        q: &TaxonomyQuery,
    ) -> Result<auths_domain::Page<auths_domain::CatalogEntry>, RepoError> {
        let (field, direction) = q.order;
        let column = match field {
            TaxonomyField::Id => "ce.number",
            TaxonomyField::Name | TaxonomyField::Title => "ce.label_key",
        };
        let dir = match direction {
            Direction::Asc => " ASC",
            Direction::Desc => " DESC",
        };
        let order = format!("{column}{dir}, ce.number{dir}");
        self.entries_where(
            kind,
            |sql| {
                sql.push("1 = 1");
                if let Some(scope) = &q.scope {
                    sql.push(" AND ");
                    super::catalog::visible(sql, kind, scope);
                }
                if let Some(f) = &q.filter {
                    sql.push(" AND ");
                    compile_taxonomy(sql, f);
                }
            },
            &order,
            q.page,
        )
    }
}
