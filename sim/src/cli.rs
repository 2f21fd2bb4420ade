//! Command-line parsing (hand-written to avoid a dependency).

use crate::timefmt;
use chrono::{FixedOffset, NaiveDate};
use std::path::PathBuf;

pub const USAGE: &str = "\
usage: oura-sim [--port P] [--seed S] [--days N] [--end-date YYYY-MM-DD] [--page-size K]
                [--series-page-size K] [--client-id ID] [--client-secret S] [--static-token T]
                [--access-token-ttl SECS] [--utc-offset +HH:MM]
       oura-sim dump --out DIR [--seed S] [--days N] [--end-date YYYY-MM-DD] [--utc-offset +HH:MM]";

#[derive(Clone, Debug)]
pub struct Options {
    pub port: u16,
    pub seed: u64,
    pub days: u32,
    pub end_date: NaiveDate,
    pub utc_offset: Option<FixedOffset>,
    pub page_size: usize,
    pub series_page_size: usize,
    pub client_id: String,
    pub client_secret: String,
    pub static_token: Option<String>,
    pub access_token_ttl: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 0,
            seed: 1,
            days: 90,
            // Fixed so that runs without flags are reproducible.
            end_date: NaiveDate::from_ymd_opt(2026, 1, 15).unwrap_or_default(),
            utc_offset: None,
            page_size: 50,
            series_page_size: 1000,
            client_id: "sim-client".into(),
            client_secret: "sim-secret".into(),
            static_token: None,
            access_token_ttl: 3600,
        }
    }
}

pub enum Command {
    Serve(Options),
    Dump(Options, PathBuf),
    Help,
}

fn num<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{flag}: invalid value {v:?}"))
}

pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut o = Options::default();
    let mut out = None;
    let (dump, rest) = match args.first().map(String::as_str) {
        Some("dump") => (true, &args[1..]),
        _ => (false, args),
    };
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        if flag == "--help" || flag == "-h" {
            return Ok(Command::Help);
        }
        let v = match inline.or_else(|| it.next().cloned()) {
            Some(v) => v,
            None => return Err(format!("{flag} needs a value")),
        };
        match flag {
            "--port" => o.port = num(flag, &v)?,
            "--seed" => o.seed = num(flag, &v)?,
            "--days" => o.days = num::<u32>(flag, &v)?.max(1),
            "--end-date" => {
                o.end_date =
                    timefmt::parse_date(&v).ok_or(format!("--end-date: invalid date {v:?}"))?
            }
            "--utc-offset" => {
                o.utc_offset =
                    Some(timefmt::parse_offset(&v).ok_or(format!("--utc-offset: invalid {v:?}"))?)
            }
            "--page-size" => o.page_size = num::<usize>(flag, &v)?.max(1),
            "--series-page-size" => o.series_page_size = num::<usize>(flag, &v)?.max(1),
            "--client-id" => o.client_id = v,
            "--client-secret" => o.client_secret = v,
            "--static-token" => o.static_token = Some(v),
            "--access-token-ttl" => o.access_token_ttl = num::<i64>(flag, &v)?.max(1),
            "--out" if dump => out = Some(PathBuf::from(v)),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if dump {
        let out = out.ok_or("dump needs --out <dir>")?;
        return Ok(Command::Dump(o, out));
    }
    Ok(Command::Serve(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_serve_and_dump() {
        match parse(&args(
            "--port 0 --seed=7 --days 10 --end-date 2026-02-01 --static-token t",
        )) {
            Ok(Command::Serve(o)) => {
                assert_eq!(
                    (o.seed, o.days, o.static_token.as_deref()),
                    (7, 10, Some("t"))
                );
                assert_eq!(o.end_date.to_string(), "2026-02-01");
            }
            _ => panic!("expected serve"),
        }
        assert!(matches!(
            parse(&args("dump --out /tmp/x --seed 2")),
            Ok(Command::Dump(_, _))
        ));
        assert!(parse(&args("dump --seed 2")).is_err());
        assert!(parse(&args("--bogus 1")).is_err());
    }
}
