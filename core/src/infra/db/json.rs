//! Rows read as JSON, so that one query brings an envelope and every row it holds. On SQLite
//! each statement, and each row it returns, is a hop between the async task and the driver's
//! worker thread; an envelope read as one row per table and record cost dozens of hops. Here
//! the rows of a table come back as one JSON array of objects (keys named as the struct's
//! fields), built by the database in the same statement.
//!
//! Values decode as they would from their columns: text types by their database text (a value
//! the type does not know is an error, as in `db_enum!`), floats from text written with enough
//! digits to give back the very same `f64` (JSON numbers are not read back exactly).

use super::Backend;
use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::Deserialize;
use std::sync::OnceLock;

/// SQL built once for each kind of database (the JSON columns are long and the same for
/// every request).
pub struct Sql {
    build: fn(Backend) -> String,
    sqlite: OnceLock<String>,
    postgres: OnceLock<String>,
}

impl Sql {
    pub const fn new(build: fn(Backend) -> String) -> Self {
        Self { build, sqlite: OnceLock::new(), postgres: OnceLock::new() }
    }

    pub fn get(&self, backend: Backend) -> &str {
        let cell = match backend {
            Backend::Sqlite => &self.sqlite,
            Backend::Postgres => &self.postgres,
        };
        cell.get_or_init(|| (self.build)(backend))
    }
}

/// A type stored as TEXT, read from that text (see `text_type!`).
pub trait DbText: Sized {
    fn from_db_text(s: String) -> Result<Self, String>;
}

/// What a column holds, for how it is written into the JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    /// Text, integers and NULL: written as they are.
    Plain,
    /// DOUBLE PRECISION: written as exact text.
    Float,
}

/// `json_object('name', expr, …)` (SQLite) or `json_build_object(…)` (PostgreSQL) over
/// `(name, expression, kind)` columns.
pub fn object(backend: Backend, cols: &[(&str, &str, Col)]) -> String {
    let pairs: Vec<String> = cols
        .iter()
        .map(|(name, expr, col)| {
            let value = match col {
                Col::Plain => (*expr).to_owned(),
                Col::Float => float_text(backend, expr),
            };
            format!("'{name}', {value}")
        })
        .collect();
    let f = match backend {
        Backend::Sqlite => "json_object",
        Backend::Postgres => "json_build_object",
    };
    format!("{f}({})", pairs.join(", "))
}

/// The JSON value `json` as text (PostgreSQL's `json` type does not decode as a string).
pub fn text(backend: Backend, json: &str) -> String {
    match backend {
        Backend::Sqlite => json.to_owned(),
        Backend::Postgres => format!("({json})::text"),
    }
}

/// A scalar subquery giving the JSON array of `object` over the rows of `from_where` (`FROM …
/// WHERE …`, usually correlated with the outer row) in the order of `order_by`; NULL or `[]`
/// when there are none.
pub fn array(backend: Backend, object: &str, order_by: &str, from_where: &str) -> String {
    match backend {
        Backend::Sqlite => format!("(SELECT json_group_array({object} ORDER BY {order_by}) {from_where})"),
        Backend::Postgres => format!("(SELECT json_agg({object} ORDER BY {order_by})::text {from_where})"),
    }
}

/// As `array`, its elements in whatever order the rows come (no sort: for a reader that
/// orders them itself).
pub fn array_in_any_order(backend: Backend, object: &str, from_where: &str) -> String {
    match backend {
        Backend::Sqlite => format!("(SELECT json_group_array({object}) {from_where})"),
        Backend::Postgres => format!("(SELECT json_agg({object})::text {from_where})"),
    }
}

/// A DOUBLE PRECISION value as text that parses back to the same `f64` (NULL stays NULL):
/// SQLite's JSON writes 15 digits, PostgreSQL's shortest exact form is its `::text`.
fn float_text(backend: Backend, expr: &str) -> String {
    match backend {
        Backend::Sqlite => format!("CASE WHEN {expr} IS NULL THEN NULL ELSE printf('%!.17g', {expr}) END"),
        Backend::Postgres => format!("({expr})::text"),
    }
}

/// The rows of a JSON array built by `array` (none when NULL); `what` names them in the error.
pub fn rows<T: DeserializeOwned>(json: Option<&str>, what: &str) -> Result<Vec<T>, crate::error::AppError> {
    match json {
        None => Ok(Vec::new()),
        Some(j) => serde_json::from_str(j).map_err(|e| crate::error::AppError::internal(anyhow::anyhow!("{what} are unreadable: {e}"))),
    }
}

/// The one object `object` built; `what` names it in the error.
pub fn one<T: DeserializeOwned>(json: &str, what: &str) -> Result<T, crate::error::AppError> {
    serde_json::from_str(json).map_err(|e| crate::error::AppError::internal(anyhow::anyhow!("{what} is unreadable: {e}")))
}

/// Field deserializers for values `object` wrote (`#[serde(deserialize_with = "…")]`).
pub mod de {
    use super::*;

    pub fn text<'de, D: Deserializer<'de>, T: DbText>(d: D) -> Result<T, D::Error> {
        T::from_db_text(String::deserialize(d)?).map_err(D::Error::custom)
    }

    pub fn opt_text<'de, D: Deserializer<'de>, T: DbText>(d: D) -> Result<Option<T>, D::Error> {
        Option::<String>::deserialize(d)?.map(T::from_db_text).transpose().map_err(D::Error::custom)
    }

    pub fn float<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        parse_float(&String::deserialize(d)?).map_err(D::Error::custom)
    }

    pub fn opt_float<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<String>::deserialize(d)?.as_deref().map(parse_float).transpose().map_err(D::Error::custom)
    }

    fn parse_float(s: &str) -> Result<f64, String> {
        // PostgreSQL writes infinities and NaN by name; none is ever stored, but read them as such.
        match s {
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            "NaN" => Ok(f64::NAN),
            _ => s.parse().map_err(|e| format!("bad number {s:?}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection as _;

    /// Every `f64` SQLite's exact text gives back is the one stored, bit for bit.
    #[tokio::test]
    async fn floats_come_back_exactly_from_sqlite() {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE t (x DOUBLE PRECISION)").execute(&mut conn).await.unwrap();
        // Fractions of a page as the editor and the form import make them, and the far ends.
        let mut values = vec![0.0, -0.0, 1.0, 0.1, 1.0 / 3.0, 72.5 / 612.0, 5e-324, f64::MIN_POSITIVE, f64::MAX, 0.30000000000000004, 123456.789e-3];
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let v = f64::from_bits(seed);
            if v.is_finite() {
                values.push(v);
            }
            values.push((seed >> 11) as f64 / (1u64 << 53) as f64);
        }
        // The oracle is the column read as a column (SQLite itself may normalize what it stores).
        let sql = format!("SELECT x, {} AS v FROM t", object(Backend::Sqlite, &[("x", "x", Col::Float)]));
        for chunk in values.chunks(500) {
            sqlx::query("DELETE FROM t").execute(&mut conn).await.unwrap();
            for v in chunk {
                sqlx::query("INSERT INTO t (x) VALUES ($1)").bind(*v).execute(&mut conn).await.unwrap();
            }
            #[derive(Deserialize)]
            struct X {
                #[serde(deserialize_with = "de::float")]
                x: f64,
            }
            let got: Vec<(f64, String)> = sqlx::query_as(&sql).fetch_all(&mut conn).await.unwrap();
            assert_eq!(got.len(), chunk.len());
            for (v, json) in &got {
                let x: X = serde_json::from_str(json).unwrap();
                assert_eq!(x.x.to_bits(), v.to_bits(), "{v:e} came back as {json}");
            }
        }
        let null: String = sqlx::query_scalar(&format!("SELECT {}", object(Backend::Sqlite, &[("x", "NULL", Col::Float)]))).fetch_one(&mut conn).await.unwrap();
        assert_eq!(null, r#"{"x":null}"#);
    }
}
