//! `lobbyscope bench search`: the search index beside SQLite FTS5 on the same store.
//!
//! Both are filled from the same documents ([`lobbyscope_index::for_each_document`]: the same
//! text, the same facet values), then asked the same fixed queries: words, phrases, prefixes,
//! and the same with a facet chosen. Each answer is what a results page needs from its search
//! engine: the 20 best hits and the count of every facet's values over all hits (tantivy: one
//! search with a facet collector; FTS5: the 20 by `rank`, then every hit's facet columns
//! counted). The store's reading of the hits' records, the same for both, is left out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use lobbyscope_index::{FlatDoc, Quiet, SearchIndex, SearchRequest};
use lobbyscope_store::{LockHolder, Store};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, SqlitePool};

use lobbyscope_domain::thousands;

use super::{mb_shown, ms, percentile};

#[derive(Args)]
pub struct SearchArgs {
    /// Where the index and the FTS5 database are built (emptied first).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Times each query is asked of each engine, after one warm-up round.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// Times each query is asked of FTS5 (every hit's facets are counted there, which takes
    /// seconds for a common word at the EU's size).
    #[arg(long, default_value_t = 3)]
    fts_rounds: usize,
    /// Clients asking at once in the concurrent run.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Use the index and FTS5 table an earlier run left in OUT (their build figures are then
    /// not shown).
    #[arg(long)]
    reuse: bool,
}

/// The fixed queries: (query, a facet chosen). The same text is FTS5's MATCH expression: words
/// (all of them), "phrases" and prefix* read alike in both.
const QUERIES: [(&str, Option<(&str, &str)>); 50] = [
    ("hydrogen", None),
    ("emissions", None),
    ("taxonomy", None),
    ("cybersecurity", None),
    ("pharmaceutical", None),
    ("whistleblowers", None),
    ("packaging", None),
    ("methane", None),
    ("copyright", None),
    ("platform", None),
    ("Energiewende", None),
    ("Kreislaufwirtschaft", None),
    ("Lieferkettengesetz", None),
    ("Plattformarbeit", None),
    ("numériques", None),
    ("durable", None),
    ("energética", None),
    ("sostenibile", None),
    ("inteligencję", None),
    ("Commission", None),
    ("\"Digital Services Act\"", None),
    ("\"circular economy\"", None),
    ("\"right to repair\"", None),
    ("\"Capital Markets Union\"", None),
    ("\"sustainable finance\"", None),
    ("\"transition énergétique\"", None),
    ("\"politica agricola comune\"", None),
    ("energy transition", None),
    ("critical raw materials", None),
    ("data sharing businesses", None),
    ("hydro*", None),
    ("emiss*", None),
    ("pharma*", None),
    ("Kreislauf*", None),
    ("circul*", None),
    ("emissions", Some(("kind", "meeting"))),
    ("hydrogen", Some(("institution", "European Parliament"))),
    ("packaging", Some(("kind", "response"))),
    ("taxonomy", Some(("year", "2024"))),
    ("\"Digital Services Act\"", Some(("kind", "meeting"))),
    ("\"circular economy\"", Some(("respondent", "NGO"))),
    ("energy", Some(("country", "BEL"))),
    ("Energiewende", Some(("language", "de"))),
    ("repair", Some(("capacity", "Rapporteur"))),
    ("finance", Some(("kind", "organisation"))),
    ("transition", Some(("institution", "European Commission"))),
    ("platform work", Some(("year", "2023"))),
    ("raw materials", Some(("kind", "response"))),
    ("market", Some(("respondent", "COMPANY"))),
    ("emiss*", Some(("kind", "meeting"))),
];

/// Name prefixes as people type them, for the suggestions.
const TYPED: [&str; 10] =
    ["euro", "deutsch", "assoc", "federat", "comm", "bund", "europ assoc", "nat", "conf", "intern"];

/// The facet columns of the FTS5 table, in `lobbyscope_index::FACETS` order.
const FTS_FACETS: [&str; 7] = ["kind", "institution", "year", "country", "respondent", "capacity", "language"];

pub async fn run(store: Arc<dyn Store>, args: &SearchArgs) -> Result<()> {
    let reuse = args.reuse && args.out.join("index").is_dir() && args.out.join("fts.sqlite").is_file();
    let (index, fts) = if reuse {
        let options = SqliteConnectOptions::new().filename(args.out.join("fts.sqlite")).read_only(true);
        let fts = SqlitePoolOptions::new().max_connections(16).connect_with(options).await?;
        (Arc::new(SearchIndex::open(&args.out.join("index"))?), fts)
    } else {
        build(&store, args).await?
    };
    eprintln!("asking {} queries {} times each …", QUERIES.len(), args.rounds);
    println!(
        "| Query | Hits (tantivy / FTS5) | tantivy p50 / p99 of {} (ms) | FTS5 p50 / max of {} (ms) |",
        args.rounds, args.fts_rounds
    );
    println!("|---|---|---|---|");
    let (mut all_tantivy, mut all_fts) = (Vec::new(), Vec::new());
    for (query, filter) in QUERIES {
        let request = request(query, filter);
        let mut hits = index.search(&request)?.total;
        let fts_hits = if args.fts_rounds == 0 { 0 } else { fts_query(&fts, query, filter).await? };
        let (mut t, mut f) = (Vec::new(), Vec::new());
        for round in 0..=args.rounds {
            let s = Instant::now();
            hits = index.search(&request)?.total;
            if round > 0 {
                t.push(s.elapsed());
            }
        }
        for _ in 0..args.fts_rounds {
            let s = Instant::now();
            fts_query(&fts, query, filter).await?;
            f.push(s.elapsed());
        }
        all_tantivy.extend(&t);
        all_fts.extend(&f);
        t.sort();
        f.sort();
        let shown = match filter {
            Some((root, value)) => format!("`{query}` + {root}={value}"),
            None => format!("`{query}`"),
        };
        println!(
            "| {shown} | {} / {} | {:.1} / {:.1} | {:.1} / {:.1} |",
            thousands(hits),
            thousands(fts_hits),
            ms(percentile(&t, 50)),
            ms(percentile(&t, 99)),
            ms(percentile(&f, 50)),
            ms(percentile(&f, 100))
        );
    }
    all_tantivy.sort();
    all_fts.sort();
    println!(
        "| **all {} queries** | | **{:.1} / {:.1}** | **{:.1} / {:.1}** |",
        QUERIES.len(),
        ms(percentile(&all_tantivy, 50)),
        ms(percentile(&all_tantivy, 99)),
        ms(percentile(&all_fts, 50)),
        ms(percentile(&all_fts, 99))
    );

    eprintln!("{} clients at once …", args.clients);
    let tantivy_concurrent = concurrent(args.clients, QUERIES.len() * args.rounds, {
        let index = Arc::clone(&index);
        move |i| {
            let index = Arc::clone(&index);
            async move {
                let (query, filter) = QUERIES[i % QUERIES.len()];
                tokio::task::spawn_blocking(move || index.search(&request(query, filter)).map(|_| ())).await??;
                Ok(())
            }
        }
    })
    .await?;
    // FTS5 is asked all fifty once (a minute at the EU's size), unless it is not asked at all.
    let fts_concurrent = concurrent(args.clients, if args.fts_rounds == 0 { 0 } else { QUERIES.len() }, {
        let fts = fts.clone();
        move |i| {
            let fts = fts.clone();
            async move {
                let (query, filter) = QUERIES[i % QUERIES.len()];
                fts_query(&fts, query, filter).await.map(|_| ())
            }
        }
    })
    .await?;
    println!(
        "\n| {} clients at once (tantivy: every query {} times; FTS5: once) | p50 (ms) | p99 (ms) | queries/s |",
        args.clients, args.rounds
    );
    println!("|---|---|---|---|");
    for (name, (times, wall)) in [("tantivy", tantivy_concurrent), ("FTS5", fts_concurrent)] {
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} |",
            ms(percentile(&times, 50)),
            ms(percentile(&times, 99)),
            times.len() as f64 / wall.as_secs_f64()
        );
    }

    let mut suggest = Vec::new();
    for _ in 0..=args.rounds {
        for typed in TYPED {
            let s = Instant::now();
            index.suggest(typed, 8)?;
            suggest.push(s.elapsed());
        }
    }
    suggest.sort();
    println!(
        "\nName suggestions ({} prefixes, {} rounds): p50 {:.2} ms, p99 {:.2} ms.",
        TYPED.len(),
        args.rounds + 1,
        ms(percentile(&suggest, 50)),
        ms(percentile(&suggest, 99))
    );
    Ok(())
}

/// Builds both from the store, printing their figures.
async fn build(store: &Arc<dyn Store>, args: &SearchArgs) -> Result<(Arc<SearchIndex>, SqlitePool)> {
    if args.out.exists() {
        std::fs::remove_dir_all(&args.out).with_context(|| format!("cannot empty {}", args.out.display()))?;
    }
    std::fs::create_dir_all(&args.out)?;

    eprintln!("building the search index …");
    let started = Instant::now();
    let index = Arc::new(SearchIndex::open(&args.out.join("index"))?);
    let built = index.update(&**store, &LockHolder::this_process("bench search"), &Quiet).await?;
    let index_time = started.elapsed();
    let index_rss = super::child::peak_rss_kb(std::process::id());
    // What a server's catching up costs when nothing was imported since (another process
    // wrote, say, a source's health).
    let started = Instant::now();
    let again = index.update(&**store, &LockHolder::this_process("bench search"), &Quiet).await?;
    let again_time = started.elapsed();

    eprintln!("building the FTS5 table …");
    let started = Instant::now();
    let fts = fts_build(&**store, &args.out.join("fts.sqlite")).await?;
    let fts_time = started.elapsed();

    let docs = built.total();
    println!("| Build ({} documents) | Time (s) | Documents/s | Size on disk (MB) |", thousands(docs));
    println!("|---|---|---|---|");
    println!(
        "| tantivy index | {:.1} | {} | {} |",
        index_time.as_secs_f64(),
        thousands((docs as f64 / index_time.as_secs_f64()) as u64),
        dir_mb(&args.out.join("index"))
    );
    println!(
        "| SQLite FTS5 table | {:.1} | {} | {} |",
        fts_time.as_secs_f64(),
        thousands((docs as f64 / fts_time.as_secs_f64()) as u64),
        dir_mb(&args.out.join("fts.sqlite"))
    );
    println!(
        "\nPeak RSS after the index build: {} MB. An update with nothing imported since: {:.1} s ({} documents written again).\n",
        mb_shown(index_rss),
        again_time.as_secs_f64(),
        thousands(again.total())
    );
    Ok((index, fts))
}

fn request(query: &str, filter: Option<(&str, &str)>) -> SearchRequest {
    SearchRequest {
        query: query.to_owned(),
        filters: filter.map(|(r, v)| vec![(r.to_owned(), v.to_owned())]).unwrap_or_default(),
        limit: 20,
        ..SearchRequest::default()
    }
}

/// `total` queries (the fixed ones in turn), by `clients` tasks at once: each answer's time,
/// and the wall time.
async fn concurrent<F, Fut>(clients: usize, total: usize, ask: F) -> Result<(Vec<Duration>, Duration)>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (ask, next) = (ask.clone(), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    return anyhow::Ok(times);
                }
                let s = Instant::now();
                ask(i).await?;
                times.push(s.elapsed());
            }
        }));
    }
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await??);
    }
    let wall = started.elapsed();
    times.sort();
    Ok((times, wall))
}

/// Documents written to FTS5 per transaction.
const FTS_BATCH: usize = 5_000;

async fn fts_write(pool: &SqlitePool, docs: &[FlatDoc]) -> Result<()> {
    let mut tx = pool.begin().await?;
    for doc in docs {
        let facet = |root: &str| {
            doc.facets.iter().filter(|(r, _)| *r == root).map(|(_, v)| v.as_str()).collect::<Vec<_>>().join("|")
        };
        sqlx::query("INSERT INTO docs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
            .bind(&doc.text)
            .bind(doc.id.uid())
            .bind(doc.id.kind().as_str())
            .bind(facet("institution"))
            .bind(facet("year"))
            .bind(facet("country"))
            .bind(facet("respondent"))
            .bind(facet("capacity"))
            .bind(doc.language.map(|l| l.code()).unwrap_or_default())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn fts_build(store: &dyn Store, path: &Path) -> Result<SqlitePool> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
    let pool = SqlitePoolOptions::new().max_connections(16).connect_with(options).await?;
    sqlx::query(
        "CREATE VIRTUAL TABLE docs USING fts5(text, uid UNINDEXED, kind UNINDEXED, institution UNINDEXED, \
         year UNINDEXED, country UNINDEXED, respondent UNINDEXED, capacity UNINDEXED, language UNINDEXED, \
         tokenize = 'unicode61 remove_diacritics 2')",
    )
    .execute(&pool)
    .await?;
    // The store is read on this task and FTS5 written on another, a batch at a time.
    let (send, mut received) = tokio::sync::mpsc::unbounded_channel::<Vec<FlatDoc>>();
    let writer = {
        let pool = pool.clone();
        tokio::spawn(async move {
            while let Some(docs) = received.recv().await {
                fts_write(&pool, &docs).await?;
            }
            anyhow::Ok(())
        })
    };
    let mut batch: Vec<FlatDoc> = Vec::new();
    let everything = lobbyscope_index::Wanted::everything(&store.analysed_through().await?);
    lobbyscope_index::for_each_document(store, &everything, &Quiet, |doc| {
        batch.push(doc);
        if batch.len() >= FTS_BATCH {
            // The writer outlives the reading: a send cannot fail before it ends.
            let _ = send.send(std::mem::take(&mut batch));
        }
        Ok(())
    })
    .await?;
    let _ = send.send(batch);
    drop(send);
    writer.await??;
    Ok(pool)
}

/// One results page's worth from FTS5: the 20 best, and every hit's facets counted. Returns the
/// number of hits.
async fn fts_query(pool: &SqlitePool, query: &str, filter: Option<(&str, &str)>) -> Result<u64> {
    let (condition, value) = match filter {
        // The columns are known names; the value is bound.
        Some((root, value)) if root == "capacity" => {
            (format!(" AND ('|' || {root} || '|') LIKE '%|' || ?2 || '|%'"), Some(value))
        }
        Some((root, value)) => (format!(" AND {root} = ?2"), Some(value)),
        None => (String::new(), None),
    };
    let top = format!("SELECT uid FROM docs WHERE docs MATCH ?1{condition} ORDER BY rank LIMIT 20");
    let all = format!("SELECT {} FROM docs WHERE docs MATCH ?1{condition}", FTS_FACETS.join(", "));
    let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(top)).bind(query);
    if let Some(v) = value {
        q = q.bind(v);
    }
    q.fetch_all(pool).await?;
    let mut q =
        sqlx::query_as::<_, (String, String, String, String, String, String, String)>(AssertSqlSafe(all)).bind(query);
    if let Some(v) = value {
        q = q.bind(v);
    }
    let rows = q.fetch_all(pool).await?;
    let mut counts: HashMap<(usize, &str), u64> = HashMap::new();
    for row in &rows {
        let cols = [&row.0, &row.1, &row.2, &row.3, &row.4, &row.5, &row.6];
        for (i, value) in cols.into_iter().enumerate() {
            for v in value.split('|').filter(|v| !v.is_empty()) {
                *counts.entry((i, v)).or_default() += 1;
            }
        }
    }
    // The counts are the page's facets; only their making is measured.
    drop(counts);
    Ok(rows.len() as u64)
}

/// A file's or a folder's size in megabytes.
fn dir_mb(path: &Path) -> u64 {
    fn size(p: &Path) -> u64 {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                std::fs::read_dir(p).map(|d| d.flatten().map(|e| size(&e.path())).sum()).unwrap_or(0)
            }
            Ok(m) => m.len(),
            Err(_) => 0,
        }
    }
    let mut total = size(path);
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        total += size(Path::new(&p));
    }
    (total + (1 << 19)) >> 20
}
