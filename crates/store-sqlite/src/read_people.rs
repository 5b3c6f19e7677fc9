//! The read side of people and procedures: a person with what the sources said about them, a
//! person's meetings, the meetings citing a procedure.

use lobbyscope_store::{
    ActivityFilter, ActivityKind, ActivityPage, PersonFacet, PersonView, QuarterActivity, Result, TimelineSummary,
};
use lobbyscope_store_sql::map;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::db_err;
use crate::read::{Entry, EntryKind, push_range, timeline_page, year_range};

/// One person by stored key (`keys::person_key`), or `None`.
pub(crate) async fn person(pool: &SqlitePool, key: &str) -> Result<Option<PersonView>> {
    let Some(row) = sqlx::query("SELECT key, kind, name, ep_id FROM people WHERE key = ?")
        .bind(key)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
    else {
        return Ok(None);
    };
    let mut view = map::person(&Cols::new(&row, "people"))?;

    // Each facet counts distinct meetings: a person listed twice in one meeting counts once.
    // `person_meetings` (migration 0008) holds the person's meetings in one range.
    let rows = sqlx::query(
        "SELECT 'role', role, count(DISTINCT meeting_id) FROM person_meetings \
           WHERE person_key = ?1 AND role IS NOT NULL GROUP BY role \
         UNION ALL SELECT 'cabinet', cabinet, count(DISTINCT meeting_id) FROM person_meetings \
           WHERE person_key = ?1 AND cabinet IS NOT NULL GROUP BY cabinet \
         UNION ALL SELECT 'dg', dg, count(DISTINCT meeting_id) FROM person_meetings \
           WHERE person_key = ?1 AND dg IS NOT NULL GROUP BY dg \
         UNION ALL SELECT 'portfolio', portfolio, count(DISTINCT meeting_id) FROM person_meetings \
           WHERE person_key = ?1 AND portfolio IS NOT NULL GROUP BY portfolio \
         ORDER BY 1, 3 DESC, 2",
    )
    .bind(key)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    for r in &rows {
        let c = Cols::new(r, "person_meetings");
        let facet = PersonFacet { label: c.get(1)?, meetings: c.u64(2)? };
        match c.get::<&str>(0)? {
            "role" => view.roles.push(facet),
            "cabinet" => view.cabinets.push(facet),
            "dg" => view.dgs.push(facet),
            _ => view.portfolios.push(facet),
        }
    }

    view.published_names = sqlx::query(
        "SELECT DISTINCT name FROM person_meetings WHERE person_key = ?1 AND name <> ?2 ORDER BY name LIMIT 50",
    )
    .bind(key)
    .bind(&view.name)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| Cols::new(r, "person_meetings").get(0))
    .collect::<Result<_>>()?;
    Ok(Some(view))
}

/// The meetings a person hosted, as a timeline (no consultation responses), from the person's
/// range of `person_meetings`.
pub(crate) async fn person_activity(pool: &SqlitePool, key: &str, f: &ActivityFilter) -> Result<ActivityPage> {
    meetings_timeline(pool, "person_meetings", "person_meetings WHERE person_key = ", key, f).await
}

/// The meetings citing a procedure reference, as a timeline, from the procedure's range of
/// `procedure_meetings` (migration 0010).
pub(crate) async fn procedure_activity(pool: &SqlitePool, reference: &str, f: &ActivityFilter) -> Result<ActivityPage> {
    meetings_timeline(pool, "procedure_meetings", "procedure_meetings WHERE reference = ", reference, f).await
}

/// A timeline of meetings only, read from `from` (a table whose rows hold `date`, `meeting_id`
/// and `institution`, and a condition the key is bound after): the counts and
/// chart from one grouped statement, the page from one ordered one, so that only a page's rows
/// leave the database however many meetings the timeline holds.
async fn meetings_timeline(
    pool: &SqlitePool,
    table: &'static str,
    from: &str,
    key: &str,
    f: &ActivityFilter,
) -> Result<ActivityPage> {
    // A meeting counts once, however many times the person is listed in it.
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT substr(date, 1, 4) || '-Q' || ((CAST(substr(date, 6, 2) AS INTEGER) + 2) / 3), \
           count(DISTINCT CASE WHEN institution = 'commission' THEN meeting_id END), \
           count(DISTINCT CASE WHEN institution = 'parliament' THEN meeting_id END) FROM ",
    );
    q.push(from).push_bind(key.to_owned()).push(" GROUP BY 1");
    let quarters: Vec<QuarterActivity> = q
        .build()
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            let c = Cols::new(r, table);
            Ok(QuarterActivity { quarter: c.get(0)?, commission: c.u64(1)?, parliament: c.u64(2)?, responses: 0 })
        })
        .collect::<Result<_>>()?;
    let summary = TimelineSummary::of(&quarters, f);
    let meetings_wanted = matches!(f.kind, ActivityKind::All | ActivityKind::Meetings);
    let matching = if meetings_wanted { summary.meetings } else { 0 };

    let mut entries = Vec::new();
    if f.limit > 0 && u64::from(f.offset) < matching {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT DISTINCT date, meeting_id FROM ");
        q.push(from).push_bind(key.to_owned());
        if let Some(i) = f.institution {
            q.push(" AND institution = ").push_bind(i.as_str());
        }
        push_range(&mut q, year_range(f).as_ref());
        q.push(" ORDER BY date DESC, meeting_id LIMIT ")
            .push_bind(i64::from(f.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(f.offset));
        for r in q.build().fetch_all(pool).await.map_err(db_err)? {
            let c = Cols::new(&r, table);
            entries.push(Entry { kind: EntryKind::Meeting, id: c.get(1)? });
        }
    }
    timeline_page(pool, summary, &entries, matching, 0).await
}
