//! The read side of people and procedures: a person with what the sources said about them, a
//! person's meetings, the meetings citing a procedure.

use lobbyscope_store::{ActivityFilter, ActivityPage, PersonFacet, PersonKind, PersonView, Result};
use sqlx::SqlitePool;

use crate::cols::Cols;
use crate::db_err;
use crate::read::Timeline;

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
    let c = Cols::new(&row, "people");
    let kind = c.parse(1, |kind| match kind {
        "mep" => Ok(PersonKind::Mep),
        "commission" => Ok(PersonKind::Commission),
        _ => Err("unknown person kind"),
    })?;
    let name: String = c.get(2)?;
    let mut view = PersonView {
        key: c.person_key(0)?,
        kind,
        ep_id: c.u64_opt(3)?,
        published_names: Vec::new(),
        roles: Vec::new(),
        cabinets: Vec::new(),
        dgs: Vec::new(),
        portfolios: Vec::new(),
        name,
    };

    // Each facet counts distinct meetings: a person listed twice in one meeting counts once.
    let rows = sqlx::query(
        "SELECT 'role', h.role, count(DISTINCT h.meeting_id) FROM meeting_hosts h \
           WHERE h.person_key = ?1 AND h.role IS NOT NULL GROUP BY h.role \
         UNION ALL SELECT 'cabinet', m.cabinet, count(DISTINCT m.id) FROM meeting_hosts h \
           JOIN meetings m ON m.id = h.meeting_id WHERE h.person_key = ?1 AND m.cabinet IS NOT NULL GROUP BY m.cabinet \
         UNION ALL SELECT 'dg', coalesce(m.dg, m.dg_acronym), count(DISTINCT m.id) FROM meeting_hosts h \
           JOIN meetings m ON m.id = h.meeting_id \
           WHERE h.person_key = ?1 AND coalesce(m.dg, m.dg_acronym) IS NOT NULL GROUP BY coalesce(m.dg, m.dg_acronym) \
         UNION ALL SELECT 'portfolio', m.portfolio, count(DISTINCT m.id) FROM meeting_hosts h \
           JOIN meetings m ON m.id = h.meeting_id WHERE h.person_key = ?1 AND m.portfolio IS NOT NULL GROUP BY m.portfolio \
         ORDER BY 1, 3 DESC, 2",
    )
    .bind(key)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    for r in &rows {
        let c = Cols::new(r, "meeting_hosts");
        let facet = PersonFacet { label: c.get(1)?, meetings: c.u64(2)? };
        match c.get::<&str>(0)? {
            "role" => view.roles.push(facet),
            "cabinet" => view.cabinets.push(facet),
            "dg" => view.dgs.push(facet),
            _ => view.portfolios.push(facet),
        }
    }

    view.published_names = sqlx::query(
        "SELECT DISTINCT name FROM meeting_hosts WHERE person_key = ?1 AND name <> ?2 ORDER BY name LIMIT 50",
    )
    .bind(key)
    .bind(&view.name)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| Cols::new(r, "meeting_hosts").get(0))
    .collect::<Result<_>>()?;
    Ok(Some(view))
}

/// The meetings a person hosted, as a timeline (no consultation responses).
pub(crate) async fn person_activity(pool: &SqlitePool, key: &str, filter: &ActivityFilter) -> Result<ActivityPage> {
    Timeline {
        meeting_ids: "SELECT meeting_id FROM meeting_hosts WHERE person_key = ?",
        meeting_binds: vec![key.to_owned()],
    }
    .page(pool, filter)
    .await
}

/// The meetings citing a procedure reference, as a timeline.
pub(crate) async fn procedure_activity(
    pool: &SqlitePool,
    reference: &str,
    filter: &ActivityFilter,
) -> Result<ActivityPage> {
    Timeline {
        meeting_ids: "SELECT meeting_id FROM meeting_procedures WHERE reference = ?",
        meeting_binds: vec![reference.to_owned()],
    }
    .page(pool, filter)
    .await
}
