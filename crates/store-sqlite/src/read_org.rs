//! An organisation's page from the aggregates of migration 0007: its counts, chart and
//! published names are read from rows kept at import, and a page of its timeline from the
//! newest rows of each kind of item by index, so that the page costs the same for an
//! organisation with ten thousand responses as for one with ten.

use std::collections::BTreeMap;

use lobbyscope_domain::Institution;
use lobbyscope_store::{ActivityCounts, ActivityFilter, ActivityKind, ActivityPage, Result};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::db_err;
use crate::read::{Entry, EntryKind, chart, load_entries};

/// Activity per quarter, as `org_quarters` keeps it.
struct Quarter {
    /// `2022-Q2`, or empty for responses without a date.
    quarter: String,
    commission: u64,
    parliament: u64,
    responses: u64,
}

impl Quarter {
    fn in_year(&self, year: Option<&str>) -> bool {
        year.is_none_or(|y| self.quarter.starts_with(y))
    }
}

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
    let quarters: Vec<Quarter> = sqlx::query(
        "SELECT quarter, commission, parliament, responses FROM org_quarters WHERE org_key = ? \
         AND (commission <> 0 OR parliament <> 0 OR responses <> 0)",
    )
    .bind(key)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| {
        let c = Cols::new(r, "org_quarters");
        Ok(Quarter { quarter: c.get(0)?, commission: c.u64(1)?, parliament: c.u64(2)?, responses: c.u64(3)? })
    })
    .collect::<Result<_>>()?;

    let mut counts = ActivityCounts::default();
    let mut per_quarter: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for q in &quarters {
        counts.commission_meetings += q.commission;
        counts.parliament_meetings += q.parliament;
        counts.responses += q.responses;
        if !q.quarter.is_empty() {
            per_quarter.insert(q.quarter.clone(), (q.commission + q.parliament, q.responses));
        }
    }
    let (years, per_quarter) = chart(per_quarter);

    let year = f.year.map(|y| format!("{y:04}"));
    // A year as a range of dates, which both forms of date ('2021-05-31', '2021-05-31 10:00:00')
    // fall in.
    let range = f.year.map(|y| (format!("{y:04}"), format!("{:04}", y + 1)));
    let positions = position_count(pool, key, None).await?;

    // What the filter keeps of each kind of item.
    let meetings_wanted = matches!(f.kind, ActivityKind::All | ActivityKind::Meetings);
    let responses_wanted = matches!(f.kind, ActivityKind::All | ActivityKind::Responses)
        && f.institution.is_none_or(|i| i == Institution::Commission);
    // A position item may rest on register text, which is no institution's.
    let positions_wanted = matches!(f.kind, ActivityKind::All | ActivityKind::Positions) && f.institution.is_none();
    let in_year = || quarters.iter().filter(|q| q.in_year(year.as_deref()));
    let mut matching = 0;
    if meetings_wanted {
        matching += in_year()
            .map(|q| match f.institution {
                None => q.commission + q.parliament,
                Some(Institution::Commission) => q.commission,
                Some(Institution::Parliament) => q.parliament,
            })
            .sum::<u64>();
    }
    if responses_wanted {
        matching += in_year().map(|q| q.responses).sum::<u64>();
    }
    if positions_wanted {
        matching += match &range {
            None => positions,
            Some(range) => position_count(pool, key, Some(range)).await?,
        };
    }

    // The page is among the first `offset + limit` items of each kind, newest first.
    let mut entries: Vec<Entry> = Vec::new();
    let first = u64::from(f.offset) + u64::from(f.limit);
    if f.limit > 0 && u64::from(f.offset) < matching {
        let first = i64::try_from(first).unwrap_or(i64::MAX);
        if meetings_wanted {
            let mut q =
                QueryBuilder::<Sqlite>::new("SELECT meeting_id, date, institution FROM org_meetings WHERE org_key = ");
            q.push_bind(key.to_owned());
            if let Some(i) = f.institution {
                q.push(" AND institution = ").push_bind(i.as_str());
            }
            push_range(&mut q, range.as_ref());
            q.push(" ORDER BY date DESC, meeting_id LIMIT ").push_bind(first);
            for r in q.build().fetch_all(pool).await.map_err(db_err)? {
                let c = Cols::new(&r, "org_meetings");
                entries.push(Entry {
                    kind: EntryKind::Meeting,
                    id: c.get(0)?,
                    date: c.get(1)?,
                    institution: c.get(2)?,
                });
            }
        }
        if responses_wanted {
            let mut q = QueryBuilder::<Sqlite>::new("SELECT id, date FROM feedback WHERE org_key = ");
            q.push_bind(key.to_owned());
            push_range(&mut q, range.as_ref());
            q.push(" ORDER BY date DESC, id LIMIT ").push_bind(first);
            for r in q.build().fetch_all(pool).await.map_err(db_err)? {
                let c = Cols::new(&r, "feedback");
                let id: i64 = c.get(0)?;
                entries.push(Entry {
                    kind: EntryKind::Response,
                    id: id.to_string(),
                    date: c.get(1)?,
                    institution: None,
                });
            }
        }
        if positions_wanted {
            let mut q =
                QueryBuilder::<Sqlite>::new("SELECT id, date FROM position_items WHERE shown = 1 AND org_key = ");
            q.push_bind(key.to_owned());
            push_range(&mut q, range.as_ref());
            q.push(" ORDER BY date DESC, id LIMIT ").push_bind(first);
            for r in q.build().fetch_all(pool).await.map_err(db_err)? {
                let c = Cols::new(&r, "position_items");
                entries.push(Entry { kind: EntryKind::Position, id: c.get(0)?, date: c.get(1)?, institution: None });
            }
        }
    }
    entries.sort_by(Entry::timeline_order);
    let page: Vec<&Entry> = entries.iter().skip(f.offset as usize).take(f.limit as usize).collect();
    let items = load_entries(pool, &page).await?;
    Ok(ActivityPage { items, matching, counts, positions, years, per_quarter })
}

/// Restricts a query on a table with a `date` column to a year.
fn push_range(q: &mut QueryBuilder<Sqlite>, range: Option<&(String, String)>) {
    if let Some((from, to)) = range {
        q.push(" AND date >= ").push_bind(from.clone()).push(" AND date < ").push_bind(to.clone());
    }
}

/// The organisation's shown position items, in a year if given.
async fn position_count(pool: &SqlitePool, key: &str, range: Option<&(String, String)>) -> Result<u64> {
    let mut q = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM position_items WHERE shown = 1 AND org_key = ");
    q.push_bind(key.to_owned());
    push_range(&mut q, range);
    let r = q.build().fetch_one(pool).await.map_err(db_err)?;
    Cols::new(&r, "position_items").u64(0)
}
