//! Helpers for fitflow's SQL-level tests: each test gets its own database on the local cluster
//! (started by `scripts/test.sh`) with the installed extension, and drives it through SQL the way
//! apps, DBAs and sensor bridges do.

pub mod gym;

use postgres::{Client, NoTls};
use std::process::Command;

/// Connection parameters of the local cluster (see scripts/lib.sh).
pub fn conninfo(db: &str) -> String {
    let host = std::env::var("PGHOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("PGPORT").unwrap_or_else(|_| "5499".into());
    format!("host={host} port={port} user=postgres dbname={db}")
}

pub fn connect(db: &str) -> Client {
    Client::connect(&conninfo(db), NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to {db} ({}): {e}; run scripts/test.sh", conninfo(db)))
}

/// Drop and create `db`; with `with_extension`, also `CREATE EXTENSION fitflow CASCADE`.
pub fn fresh_db(db: &str, with_extension: bool) -> Client {
    let mut admin = connect("postgres");
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    let mut c = connect(db);
    if with_extension {
        c.batch_execute("CREATE EXTENSION fitflow CASCADE").unwrap();
    }
    c
}

pub fn drop_db(db: &str) {
    let mut admin = connect("postgres");
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
}

/// Path of a PostgreSQL 15 client program (pg_dump, pg_restore, psql).
pub fn pg_bin(name: &str) -> String {
    let dir = std::env::var("FITFLOW_PG_BIN").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".into());
    format!("{dir}/{name}")
}

/// Run a client program against the local cluster; panics with its stderr on failure.
pub fn run_client(name: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(pg_bin(name))
        .args(["-h", "127.0.0.1", "-p", &std::env::var("PGPORT").unwrap_or_else(|_| "5499".into()), "-U", "postgres"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
    assert!(out.status.success(), "{name} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// The SQLSTATE of a failed statement.
pub fn sqlstate(e: &postgres::Error) -> String {
    e.code().map(|c| c.code().to_string()).unwrap_or_else(|| format!("no SQLSTATE: {e}"))
}

/// The full text of a server error: message, detail and hint.
pub fn error_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!(
            "{} | DETAIL: {} | HINT: {}",
            d.message(),
            d.detail().unwrap_or(""),
            d.hint().unwrap_or("")
        ),
        None => e.to_string(),
    }
}

/// A stable digest of a query's rows (text form, in the query's order).
pub fn digest(c: &mut Client, query: &str) -> String {
    let q = format!("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, E'\\n')), '') FROM ({query}) t");
    c.query_one(&q, &[]).unwrap().get::<_, String>(0)
}
