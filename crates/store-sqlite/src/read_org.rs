//! An organisation's page from the aggregates of migrations 0007 and 0008: its counts, chart
//! and published names are read from rows kept at import, and a page of its timeline by one
//! statement that merges the kinds of items from their indexes, so that the page costs the
//! same for an organisation with ten thousand responses as for one with ten, and a deep page
//! steps through index entries only.

use lobbyscope_domain::Institution;
use lobbyscope_store::{ActivityFilter, ActivityKind, ActivityPage, QuarterActivity, Result, TimelineSummary};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::db_err;
use crate::read::{Entry, EntryKind, push_range, timeline_page, year_range};

/// The names sources published for the organisation other than `name`, in order, at most 50.
pub(crate) async fn published_names(pool: &SqlitePool, key: &str, name: &str) -> Result<Vec<String>> {
    sqlx::query("SELECT name FROM org_names WHERE org_key = ? AND name <> ? AND mentions > 0 ORDER BY name LIMIT 50")
        .bind(key)
        .bind(name)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| Cols::new(r, "org_names").get(0))
        .collect()
}

pub(crate) async fn activity(pool: &SqlitePool, key: &str, f: &ActivityFilter) -> Result<ActivityPage> {
    // The quarters, and the count of shown position items as a row without a quarter: one
    // statement fewer on every organisation page.
    let mut quarters: Vec<QuarterActivity> = Vec::new();
    let mut positions = 0;
    let rows = sqlx::query(
        "SELECT quarter, commission, parliament, responses FROM org_quarters WHERE org_key = ?1 \
         AND (commission <> 0 OR parliament <> 0 OR responses <> 0) \
         UNION ALL SELECT NULL, count(*), 0, 0 FROM position_items WHERE shown = 1 AND org_key = ?1",
    )
    .bind(key)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    for r in &rows {
        let c = Cols::new(r, "org_quarters");
        match c.get::<Option<String>>(0)? {
            Some(quarter) => quarters.push(QuarterActivity {
                quarter,
                commission: c.u64(1)?,
                parliament: c.u64(2)?,
                responses: c.u64(3)?,
            }),
            None => positions = c.u64(1)?,
        }
    }
    let summary = TimelineSummary::of(&quarters, f);

    let range = year_range(f);

    // What the filter keeps of each kind of item.
    let meetings_wanted = matches!(f.kind, ActivityKind::All | ActivityKind::Meetings);
    let responses_wanted = matches!(f.kind, ActivityKind::All | ActivityKind::Responses)
        && f.institution.is_none_or(|i| i == Institution::Commission);
    // A position item may rest on register text, which is no institution's.
    let positions_wanted = matches!(f.kind, ActivityKind::All | ActivityKind::Positions) && f.institution.is_none();
    let mut matching = 0;
    if meetings_wanted {
        matching += summary.meetings;
    }
    if responses_wanted {
        matching += summary.responses;
    }
    if positions_wanted {
        matching += match &range {
            None => positions,
            Some(range) => position_count(pool, key, range).await?,
        };
    }

    // One statement: each kind newest first by its index, merged in the timeline's order
    // (date, then kind as `EntryKind` orders them, then id); the offset steps through index
    // entries, not rows.
    let mut entries: Vec<Entry> = Vec::new();
    if f.limit > 0 && u64::from(f.offset) < matching {
        let mut q = QueryBuilder::<Sqlite>::new("");
        let mut arms = 0;
        let mut arm = |q: &mut QueryBuilder<Sqlite>, sql: &str| {
            if arms > 0 {
                q.push(" UNION ALL ");
            }
            arms += 1;
            q.push(sql).push_bind(key.to_owned());
        };
        if positions_wanted {
            arm(&mut q, "SELECT 0 AS kind, date, 0 AS number, id FROM position_items WHERE shown = 1 AND org_key = ");
            push_range(&mut q, range.as_ref());
        }
        if responses_wanted {
            arm(&mut q, "SELECT 1, date, id, '' FROM feedback WHERE org_key = ");
            push_range(&mut q, range.as_ref());
        }
        if meetings_wanted {
            arm(&mut q, "SELECT 2, date, 0, meeting_id FROM org_meetings WHERE org_key = ");
            if let Some(i) = f.institution {
                q.push(" AND institution = ").push_bind(i.as_str());
            }
            push_range(&mut q, range.as_ref());
        }
        q.push(" ORDER BY 2 DESC NULLS LAST, 1, 3, 4 LIMIT ")
            .push_bind(i64::from(f.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(f.offset));
        for r in q.build().fetch_all(pool).await.map_err(db_err)? {
            // The kind says which table the other columns come from.
            let kind = EntryKind::of(Cols::new(&r, "org_meetings").get::<i64>(0)?);
            let table = match kind {
                EntryKind::Position => "position_items",
                EntryKind::Response => "feedback",
                EntryKind::Meeting => "org_meetings",
            };
            let c = Cols::new(&r, table);
            let id = match kind {
                EntryKind::Response => c.get::<i64>(2)?.to_string(),
                _ => c.get(3)?,
            };
            entries.push(Entry { kind, id });
        }
    }
    timeline_page(pool, summary, &entries, matching, positions).await
}

/// The organisation's shown position items in a year.
async fn position_count(pool: &SqlitePool, key: &str, range: &(String, String)) -> Result<u64> {
    let mut q = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM position_items WHERE shown = 1 AND org_key = ");
    q.push_bind(key.to_owned());
    push_range(&mut q, Some(range));
    let r = q.build().fetch_one(pool).await.map_err(db_err)?;
    Cols::new(&r, "position_items").u64(0)
}
