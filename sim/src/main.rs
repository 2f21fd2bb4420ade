//! oura-sim: a deterministic fake of the Oura Cloud API v2 (data, OAuth, webhooks) for oura-edge's tests.
//! See sim/README.md for the CLI and every endpoint.

mod catalog;
mod cli;
mod collections;
mod control;
mod data;
mod delivery;
mod docs;
mod documents;
mod dump;
mod faults;
mod fields;
mod http;
mod oauth;
mod pagination;
mod reqlog;
mod rng;
mod server;
mod state;
mod store;
mod timefmt;
mod truth;
mod webhooks;
mod window;

use chrono::Duration;
use cli::{Command, Options};
use state::{App, Settings, State};

fn build_store(o: &Options) -> Result<(store::Store, i64), String> {
    let ctx = data::Ctx::new(o.seed, o.days, o.end_date, o.utc_offset);
    let data_now = ctx.epoch(ctx.at(ctx.last + Duration::days(1), 0));
    Ok((
        store::Store::from_generated(data::generate(&ctx))?,
        data_now,
    ))
}

fn run(args: &[String]) -> Result<(), String> {
    match cli::parse(args)? {
        Command::Help => {
            println!("{}", cli::USAGE);
            Ok(())
        }
        Command::Dump(o, dir) => dump::write(&build_store(&o)?.0, &dir),
        Command::Serve(o) => {
            let (store, data_now) = build_store(&o)?;
            let entropy =
                state::wall_clock() as u64 ^ u64::from(std::process::id()).rotate_left(32);
            let state = State {
                settings: Settings {
                    client_id: o.client_id.clone(),
                    client_secret: o.client_secret.clone(),
                    static_token: o.static_token.clone(),
                    page_size: o.page_size,
                    series_page_size: o.series_page_size,
                    access_token_ttl: o.access_token_ttl,
                },
                store,
                oauth: Default::default(),
                subs: Default::default(),
                faults: Default::default(),
                log: Default::default(),
                clock_offset: 0,
                data_now,
                rng: rng::Rng::keyed(o.seed ^ entropy, &["secrets"]),
            };
            server::serve(App::new(state), o.port)
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&args) {
        eprintln!("oura-sim: {e}\n{}", cli::USAGE);
        std::process::exit(2);
    }
}
