//! The command line: `generate`, `check`, `diff`, `drift`, `events`, `send`, `verify`, `schemes`, `inbox`,
//! `listen`.
//!
//! Exit codes: 0 success (warnings allowed), 1 the spec has errors (or warnings with
//! `--deny-warnings`, or `generate --check` found stale output), 2 usage or I/O failure.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use hookgen::diag::Diagnostic;
use hookgen::emit::{CrateOptions, RuntimeSource};
use hookgen::{analyze, Analysis};

#[derive(Debug, Parser)]
#[command(
    name = "cargo hookgen",
    bin_name = "cargo hookgen",
    version,
    about = "Typed Rust webhook SDKs from OpenAPI webhook specs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate SDK crates. Without SPEC: every folder of `specs/` into `generated/<crate>`.
    Generate {
        /// A spec folder (with hookgen.toml) or a spec file.
        spec: Option<PathBuf>,
        /// Where to write the crate (default: `generated/<crate-name>`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Do not write; fail if the output on disk differs from what would be generated.
        #[arg(long)]
        check: bool,
        /// Folder holding the vendor spec folders (used without SPEC).
        #[arg(long, default_value = "specs")]
        specs: PathBuf,
        /// Folder receiving the generated crates (used without SPEC).
        #[arg(long, default_value = "generated")]
        generated: PathBuf,
        /// Depend on a local checkout of hookgen's `runtime/` (written relative to the crate).
        #[arg(long, value_name = "PATH", conflicts_with = "runtime_version")]
        runtime_path: Option<PathBuf>,
        /// Depend on this version of `hookgen-runtime` from the registry. Without either option:
        /// the enclosing hookgen checkout's runtime when there is one, else this hookgen's version.
        #[arg(long, value_name = "VER")]
        runtime_version: Option<String>,
    },
    /// Load a spec, build the model and print events, operations and diagnostics.
    Check {
        /// A spec folder (with hookgen.toml) or a spec file.
        spec: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
        /// Exit non-zero on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Will an SDK generated from OLD break on NEW? Each change judged decode, compile or safe
    ///
    /// Every change per event, type, field and enum value, judged from the consumer's side,
    /// and the semver bump the regenerated crate needs. Exit 0 when nothing breaks, 1 when
    /// something does.
    Diff {
        /// The earlier spec (a folder with hookgen.toml and its overlays, or a file).
        old: PathBuf,
        /// The later spec.
        new: PathBuf,
        /// Also replay every delivery this inbox holds (a receiver's, or listen's database)
        /// through NEW: those OLD's SDK decodes and the regenerated one would not are listed,
        /// and make the exit code 1.
        #[arg(long, env = "HOOKGEN_INBOX", hide_env_values = true)]
        inbox: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
    },
    /// Write the overlay that makes the spec match what the vendor really sends (an inbox's deliveries)
    ///
    /// Every delivery stored in the inbox is checked against the spec; the Overlay 1.0
    /// document makes each one decode. Exit 0: nothing to amend; 1: an overlay was needed.
    Drift {
        /// A spec folder (with hookgen.toml and its overlays) or a spec file.
        spec: PathBuf,
        /// The deliveries: a receiver's inbox (`sqlite:PATH`, `postgres://...`) or listen's
        /// database (`sqlite:hookgen-listen.db`). HOOKGEN_INBOX keeps a password out of
        /// process lists.
        #[arg(long, env = "HOOKGEN_INBOX", hide_env_values = true)]
        inbox: String,
        /// Write the overlay here (default: print it).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Output format of the report.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
    },
    /// Print the table of events: name, payload type, signature scheme, linked operations.
    Events {
        /// A spec folder (with hookgen.toml) or a spec file.
        spec: PathBuf,
    },
    /// Sign an event's example payload (or a file) with the vendor's scheme and POST it to a receiver.
    Send {
        /// A spec folder (with hookgen.toml) or a spec file.
        spec: PathBuf,
        /// Event type, e.g. `workspace.presence.changed`.
        #[arg(long)]
        event: String,
        /// Receiver URL, e.g. `http://127.0.0.1:3000/webhooks`.
        #[arg(long)]
        to: String,
        /// The webhook secret to sign with (or set HOOKGEN_SECRET, which keeps it out of process lists).
        #[arg(long, env = "HOOKGEN_SECRET", hide_env_values = true)]
        secret: String,
        /// A file with the body to send instead of the spec's example.
        #[arg(long)]
        payload: Option<PathBuf>,
    },
    /// Verify one delivery with the spec's scheme; exit 0 if it verifies, 1 (with the reason) if not.
    Verify {
        /// A spec folder (with hookgen.toml) or a spec file.
        spec: PathBuf,
        /// The secret (for public-key schemes: the public key); repeat for rotation. Or set
        /// HOOKGEN_SECRET. Never printed.
        #[arg(long, env = "HOOKGEN_SECRET", hide_env_values = true, required = true)]
        secret: Vec<String>,
        /// A header as `Name: value`; repeat for each.
        #[arg(
            short = 'H',
            long = "header",
            value_name = "NAME: VALUE",
            conflicts_with = "headers"
        )]
        header: Vec<String>,
        /// A file of headers: a JSON object, or `Name: value` lines.
        #[arg(long, value_name = "FILE")]
        headers: Option<PathBuf>,
        /// The raw body, exactly as received.
        #[arg(long, value_name = "FILE")]
        body: PathBuf,
        /// The full request URL (for schemes that sign it).
        #[arg(long)]
        url: Option<String>,
        /// Verify as if the clock read this (unix seconds), for recorded deliveries.
        #[arg(long, value_name = "UNIX_SECONDS", allow_hyphen_values = true)]
        at: Option<i64>,
    },
    /// List the signature scheme presets a declaration can name (`x-webhook-signature: {preset: NAME}`).
    Schemes,
    /// What a diagnostic code means and how to fix it (`cargo hookgen explain multi-type`);
    /// without a code, every code with its one-line summary.
    Explain {
        /// A code as `check` prints it, e.g. `undeclared-required`.
        code: Option<String>,
    },
    /// Receive deliveries locally: verify, identify the event, check the payload against the
    /// spec's schema, store, forward to your app; a page at `/` to inspect and replay them.
    Listen {
        /// A spec folder (with hookgen.toml) or a spec file.
        spec: PathBuf,
        /// The webhook secret to verify with (or set HOOKGEN_SECRET). Without it signatures
        /// are not checked. Never printed.
        #[arg(long, env = "HOOKGEN_SECRET", hide_env_values = true)]
        secret: Option<String>,
        /// Port on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 8787)]
        port: u16,
        /// Forward each delivery, bytes and headers as received, to your app at this URL.
        #[arg(long, value_name = "URL")]
        forward_to: Option<String>,
        /// Where deliveries are kept.
        #[arg(
            long,
            value_name = "sqlite:PATH",
            default_value = "sqlite:hookgen-listen.db"
        )]
        db: String,
        /// Also answer the page and API for this `Host` (a tunnel's name, any port); repeatable.
        /// Otherwise only 127.0.0.1, localhost and [::1] with the bound port are answered.
        #[arg(long = "allow-host", value_name = "NAME")]
        allow_host: Vec<String>,
    },
    /// Inspect a receiver's durable inbox, replay dead letters and undecodable bodies, prune.
    Inbox {
        /// The inbox: `sqlite:PATH` or `postgres://...` (or set HOOKGEN_INBOX, which keeps a
        /// password out of process lists).
        #[arg(long, env = "HOOKGEN_INBOX", hide_env_values = true)]
        db: String,
        #[command(subcommand)]
        action: InboxCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// Deliveries, newest first, with the count in each state.
    List {
        /// Only this state: pending, leased, done, dead or undecodable.
        #[arg(long)]
        state: Option<String>,
        /// Only this event type.
        #[arg(long)]
        event_type: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
    },
    /// One delivery: state, attempts, last error, headers and body.
    Show {
        /// The delivery's id (from `list`).
        id: i64,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
    },
    /// Make deliveries pending again: one by id, or every dead (`--dead`) or undecodable
    /// (`--undecodable`) one. Running receivers pick them up.
    Replay {
        /// The delivery's id.
        #[arg(conflicts_with_all = ["dead", "undecodable"], required_unless_present_any = ["dead", "undecodable"])]
        id: Option<i64>,
        /// Every dead delivery.
        #[arg(long)]
        dead: bool,
        /// Every undecodable delivery (after an SDK upgrade).
        #[arg(long)]
        undecodable: bool,
    },
    /// Delete done deliveries received before a date (2026-11-20, RFC 3339 or unix seconds).
    Purge {
        /// The cut-off.
        #[arg(long, value_name = "DATE")]
        done_before: String,
    },
}

/// Run the CLI with these arguments (the first is the program name).
pub fn run(args: Vec<OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Check {
            spec,
            format,
            deny_warnings,
        } => check(&spec, format, deny_warnings),
        Command::Events { spec } => events(&spec),
        Command::Diff {
            old,
            new,
            inbox,
            format,
        } => diff(&old, &new, inbox.as_deref(), format),
        Command::Drift {
            spec,
            inbox,
            out,
            format,
        } => crate::drift_cmd::run(crate::drift_cmd::Request {
            spec: &spec,
            inbox: &inbox,
            out,
            json: matches!(format, OutputFormat::Json),
        }),
        Command::Generate {
            spec,
            out,
            check,
            specs,
            generated,
            runtime_path,
            runtime_version,
        } => {
            let runtime = match (runtime_path, runtime_version) {
                (Some(p), _) => Some(RuntimeSource::Path(p)),
                (None, Some(v)) => Some(RuntimeSource::Version(v)),
                (None, None) => None,
            };
            generate(spec, out, check, &specs, &generated, runtime.as_ref())
        }
        Command::Send {
            spec,
            event,
            to,
            secret,
            payload,
        } => send(&spec, &event, &to, &secret, payload.as_deref()),
        Command::Verify {
            spec,
            secret,
            header,
            headers,
            body,
            url,
            at,
        } => verify(&spec, &secret, &header, headers.as_deref(), &body, url, at),
        Command::Schemes => Ok(schemes()),
        Command::Explain { code } => explain(code.as_deref()),
        Command::Inbox { db, action } => crate::inbox_cmd::run(&db, inbox_action(action)),
        Command::Listen {
            spec,
            secret,
            port,
            forward_to,
            db,
            allow_host,
        } => load(&spec).and_then(|analysis| {
            let options = crate::listen::Options {
                secret,
                port,
                forward_to,
                db,
                allow_hosts: allow_host,
            };
            crate::listen::run(analysis, options).map(|()| ExitCode::SUCCESS)
        }),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn inbox_action(command: InboxCommand) -> crate::inbox_cmd::Action {
    use crate::inbox_cmd::Action;
    match command {
        InboxCommand::List {
            state,
            event_type,
            limit,
            format,
        } => Action::List {
            state,
            event_type,
            limit,
            json: format == OutputFormat::Json,
        },
        InboxCommand::Show { id, format } => Action::Show {
            id,
            json: format == OutputFormat::Json,
        },
        InboxCommand::Replay {
            id,
            dead,
            undecodable,
        } => Action::Replay {
            id,
            dead,
            undecodable,
        },
        InboxCommand::Purge { done_before } => Action::Purge { done_before },
    }
}

fn load(spec: &Path) -> Result<Analysis, String> {
    analyze(spec).map_err(|e| e.to_string())
}

fn diff(
    old: &Path,
    new: &Path,
    inbox: Option<&str>,
    format: OutputFormat,
) -> Result<ExitCode, String> {
    let (old, new) = (load(old)?.api, load(new)?.api);
    let mut report = hookgen::diff::diff(&old, &new);
    if let Some(inbox) = inbox {
        let stored = crate::stored::read(inbox)?;
        let replayed = hookgen::diff::replay_deliveries(&old, &new, &stored);
        report.replay.extend(replayed);
    }
    match format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        ),
        OutputFormat::Human => print!("{}", hookgen::diff::render(&report)),
    }
    Ok(if report.breaking() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn check(spec: &Path, format: OutputFormat, deny_warnings: bool) -> Result<ExitCode, String> {
    let analysis = load(spec)?;
    let diags: Vec<&Diagnostic> = analysis.diagnostics.iter().collect();
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    match format {
        OutputFormat::Json => {
            let report = serde_json::json!({
                "spec": spec.display().to_string(),
                "events": analysis.api.events.iter().map(|e| serde_json::json!({
                    "name": e.name, "variant": e.variant, "payload": hookgen::emit::type_display(&analysis.api, &e.payload),
                    "webhook": e.webhook_key, "identity": e.identity,
                })).collect::<Vec<_>>(),
                "operations": analysis.api.operations.iter().map(|o| serde_json::json!({
                    "method": o.method.to_uppercase(), "path": o.path, "operationId": o.id, "name": o.name,
                })).collect::<Vec<_>>(),
                "identity": identity_json(&analysis.api),
                "signature": analysis.api.signature.as_ref().map(|s| format!("{:?}", s.scheme)),
                "completeness": completeness_json(&analysis.api),
                "diagnostics": diags,
                "errors": errors,
                "warnings": warnings,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
        }
        OutputFormat::Human => {
            let mut out = std::io::stdout().lock();
            let api = &analysis.api;
            let _ = writeln!(out, "{} ({} {})", spec.display(), api.title, api.version);
            let _ = writeln!(out, "\nevent identity: {}", identity_text(api));
            let _ = writeln!(out, "\nevents ({}):", api.events.len());
            for e in &api.events {
                let _ = writeln!(
                    out,
                    "  {:<32} {:<36} {}",
                    e.name,
                    hookgen::emit::type_display(api, &e.payload),
                    identity_values(&e.identity)
                );
            }
            let _ = writeln!(out, "\noperations ({}):", api.operations.len());
            for o in &api.operations {
                let _ = writeln!(
                    out,
                    "  {:<7} {:<40} {}",
                    o.method.to_uppercase(),
                    o.path,
                    o.id.as_deref().unwrap_or(&o.name)
                );
            }
            let _ = writeln!(out, "\n{}", completeness_text(api));
            let scheme = api
                .signature
                .as_ref()
                .map(|s| format!("{} ({})", hookgen::emit::scheme_label(&s.scheme), s.source));
            let _ = writeln!(
                out,
                "\nsignature: {}",
                scheme.unwrap_or_else(|| "none declared".into())
            );
            drop(out);
            crate::render::render_diagnostics(&analysis, &diags);
            eprintln!("\n{errors} error(s), {warnings} warning(s)");
        }
    }
    Ok(if errors > 0 || (deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `header X-GitHub-Event + body /action (inferred from the spec)`.
fn identity_text(api: &hookgen::Api) -> String {
    let source = api
        .identity
        .declared_in
        .clone()
        .unwrap_or_else(|| "inferred from the spec".into());
    format!("{} ({source})", api.identity.describe())
}

/// An event's identity values: `issues + opened`, `*` where it leaves a part open.
fn identity_values(values: &[Option<String>]) -> String {
    if values.is_empty() {
        return "-".into();
    }
    values
        .iter()
        .map(|v| v.as_deref().unwrap_or("*"))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn identity_json(api: &hookgen::Api) -> serde_json::Value {
    let parts: Vec<serde_json::Value> = api
        .identity
        .parts
        .iter()
        .zip(&api.identity.loose)
        .map(|(p, loose)| match p {
            hookgen::ir::IdentityPart::Header(h) => {
                serde_json::json!({"header": h, "loose": loose})
            }
            hookgen::ir::IdentityPart::Body(b) => serde_json::json!({"body": b, "loose": loose}),
        })
        .collect();
    serde_json::json!({"parts": parts, "declared_in": api.identity.declared_in})
}

/// `webhook operations: 54 declared, 54 generated (54 events); API operations: ...`.
fn completeness_text(api: &hookgen::Api) -> String {
    use hookgen::ir::Coverage;
    let (hooks, hooks_ok, hooks_lost) = Coverage::tally(&api.coverage.webhooks);
    let (ops, ops_ok, ops_lost) = Coverage::tally(&api.coverage.operations);
    let excluded = ops - ops_ok - ops_lost;
    let mut text = format!(
        "completeness:\n  webhook operations: {hooks} declared, {hooks_ok} generated as {} events, {hooks_lost} lost\n  API operations:     {ops} declared, {ops_ok} generated as {} client methods, {ops_lost} lost",
        api.events.len(),
        api.operations.len(),
    );
    if excluded > 0 {
        text.push_str(&format!(", {excluded} left out by configuration"));
    }
    for d in api.coverage.lost() {
        if let hookgen::ir::Outcome::Lost(why) = &d.outcome {
            text.push_str(&format!("\n  lost: {} ({})", d.label, why));
        }
    }
    text
}

fn completeness_json(api: &hookgen::Api) -> serde_json::Value {
    use hookgen::ir::{Coverage, Declared, Outcome};
    let part = |items: &[Declared], generated: usize| {
        let (declared, ok, lost) = Coverage::tally(items);
        serde_json::json!({
            "declared": declared,
            "generated": ok,
            "lost": lost,
            "excluded": declared - ok - lost,
            "items_generated": generated,
            "lost_items": items.iter().filter_map(|d| match &d.outcome {
                Outcome::Lost(why) => Some(serde_json::json!({"operation": d.label, "pointer": d.pointer, "reason": why})),
                _ => None,
            }).collect::<Vec<_>>(),
        })
    };
    serde_json::json!({
        "webhook_operations": part(&api.coverage.webhooks, api.events.len()),
        "api_operations": part(&api.coverage.operations, api.operations.len()),
    })
}

fn events(spec: &Path) -> Result<ExitCode, String> {
    let analysis = load(spec)?;
    let api = &analysis.api;
    let scheme = api
        .signature
        .as_ref()
        .map(|s| hookgen::emit::scheme_label(&s.scheme))
        .unwrap_or_else(|| "none".into());
    println!("event identity: {}\n", identity_text(api));
    println!(
        "{:<32} {:<36} {:<28} {:<20} linked operation",
        "event", "payload type", "identity", "signature"
    );
    for e in &api.events {
        let links: Vec<String> = e
            .links
            .iter()
            .map(|l| {
                let op = &api.operations[l.operation];
                format!("{} ({} {})", l.method, op.method.to_uppercase(), op.path)
            })
            .collect();
        println!(
            "{:<32} {:<36} {:<28} {:<20} {}",
            e.name,
            hookgen::emit::type_display(api, &e.payload),
            identity_values(&e.identity),
            scheme,
            if links.is_empty() {
                "-".into()
            } else {
                links.join(", ")
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the crate written to `out` finds the runtime: the command line, then `hookgen.toml`
/// (paths relative to the spec folder), then an enclosing hookgen checkout, then the registry.
fn runtime_for(
    given: Option<&RuntimeSource>,
    analysis: &Analysis,
    spec: &Path,
    out: &Path,
) -> RuntimeSource {
    let config = &analysis.document.config;
    let spec_dir = if spec.is_dir() {
        spec
    } else {
        spec.parent().unwrap_or(Path::new(""))
    };
    given
        .cloned()
        .or_else(|| {
            config
                .runtime_path
                .as_ref()
                .map(|p| RuntimeSource::Path(spec_dir.join(p)))
        })
        .or_else(|| config.runtime_version.clone().map(RuntimeSource::Version))
        .or_else(|| hookgen::emit::enclosing_runtime(out).map(RuntimeSource::Path))
        .unwrap_or_else(|| RuntimeSource::Version(hookgen::emit::RUNTIME_VERSION.to_string()))
}

fn generate(
    spec: Option<PathBuf>,
    out: Option<PathBuf>,
    check: bool,
    specs: &Path,
    generated: &Path,
    runtime: Option<&RuntimeSource>,
) -> Result<ExitCode, String> {
    let targets: Vec<(PathBuf, Option<PathBuf>)> = match spec {
        Some(s) => vec![(s, out)],
        None => {
            let mut dirs: Vec<PathBuf> = std::fs::read_dir(specs)
                .map_err(|e| format!("{}: {e}", specs.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            dirs.sort();
            dirs.into_iter().map(|d| (d, None)).collect()
        }
    };
    let mut stale = Vec::new();
    for (spec, out) in targets {
        let started = std::time::Instant::now();
        let analysis = load(&spec)?;
        let errors: Vec<&Diagnostic> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .collect();
        if !errors.is_empty() {
            // The spec's own errors exit 1, as for `check`; 2 is for usage and I/O.
            crate::render::render_diagnostics(&analysis, &errors);
            eprintln!(
                "error: {}: {} error(s); nothing generated",
                spec.display(),
                errors.len()
            );
            return Ok(ExitCode::from(1));
        }
        let out = out.unwrap_or_else(|| generated.join(&analysis.api.crate_name));
        let options = CrateOptions::for_output(&out, &runtime_for(runtime, &analysis, &spec, &out));
        let files =
            hookgen::emit::crate_files_with(&analysis.api, &options).map_err(|e| e.to_string())?;
        if check {
            stale.extend(hookgen::emit::stale_files(&out, &files));
        } else {
            hookgen::emit::write_files(&out, &files)
                .map_err(|e| format!("{}: {e}", out.display()))?;
        }
        eprintln!(
            "{} {} → {} ({} events, {} operations, {:.0?})",
            if check { "checked" } else { "generated" },
            spec.display(),
            out.display(),
            analysis.api.events.len(),
            analysis.api.operations.len(),
            started.elapsed()
        );
    }
    if !stale.is_empty() {
        for s in &stale {
            eprintln!("stale: {s}");
        }
        eprintln!("generated code is out of date: run `cargo hookgen generate`");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(
    spec: &Path,
    secrets: &[String],
    header_args: &[String],
    header_file: Option<&Path>,
    body: &Path,
    url: Option<String>,
    at: Option<i64>,
) -> Result<ExitCode, String> {
    use crate::verify_cmd;
    let headers = match header_file {
        Some(f) => verify_cmd::headers_from_file(f)?,
        None => verify_cmd::headers_from_args(header_args)?,
    };
    let body = std::fs::read(body).map_err(|e| format!("{}: {e}", body.display()))?;
    let analysis = load(spec)?;
    let scheme = verify_cmd::scheme_of(&analysis.api)?;
    let delivery = verify_cmd::Delivery {
        secrets,
        headers,
        body,
        url,
        at,
    };
    Ok(match verify_cmd::verify(&scheme, &delivery) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            println!("not verified: {reason}");
            ExitCode::from(1)
        }
    })
}

fn explain(code: Option<&str>) -> Result<ExitCode, String> {
    use hookgen::codes::Code;
    let Some(name) = code else {
        for c in Code::ALL {
            println!("{:<28} {}", c.as_str(), c.summary());
        }
        return Ok(ExitCode::SUCCESS);
    };
    let code = Code::parse(name.trim()).ok_or_else(|| {
        format!("`{name}` is not a diagnostic code; `cargo hookgen explain` lists them")
    })?;
    println!(
        "{}: {}\n\n{}",
        code.as_str(),
        code.summary(),
        code.explanation()
    );
    Ok(ExitCode::SUCCESS)
}

fn schemes() -> ExitCode {
    println!(
        "{:<18} {:<30} {:<44} documentation",
        "preset", "vendor", "scheme"
    );
    for p in hookgen_runtime::verify::presets::presets() {
        println!(
            "{:<18} {:<30} {:<44} {}",
            p.name,
            p.vendor,
            hookgen::emit::scheme_label(&p.scheme()),
            p.docs
        );
    }
    ExitCode::SUCCESS
}

fn send(
    spec: &Path,
    event: &str,
    to: &str,
    secret: &str,
    payload: Option<&Path>,
) -> Result<ExitCode, String> {
    let analysis = load(spec)?;
    let outcome = crate::send::send(&analysis.api, event, to, secret, payload)?;
    println!(
        "{} {} in {:.1?}",
        outcome.status, outcome.reason, outcome.elapsed
    );
    Ok(if (200..300).contains(&outcome.status) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
