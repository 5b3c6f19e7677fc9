//! What a full linking pass (`lobbyscope_store::Relinker`) does the same in both backends: the
//! order mentions are read in (meetings' attendees by meeting id, then responses by id), how
//! their rows become [`MentionGroup`]s, and how links are sorted back into their two tables. A
//! backend supplies only the two page reads ([`RelinkPages`]) and its statements.

use async_trait::async_trait;
use lobbyscope_store::{LinkMethod, LinkedMention, Mention, MentionGroup, MentionRef, OrgKey, Result};

use crate::cols::{Cols, RowRef};
use crate::map::corrupt;

/// Where the pass has read up to.
pub enum Cursor {
    /// Meeting attendees, after this meeting id (`None`: from the start).
    Meetings(Option<String>),
    /// Consultation responses, after this id.
    Responses(Option<i64>),
    Done,
}

impl Default for Cursor {
    fn default() -> Cursor {
        Cursor::Meetings(None)
    }
}

/// The reads a backend's relinker makes inside its transaction; [`next_groups`] decides what
/// to read next.
#[async_trait]
pub trait RelinkPages: Send {
    /// A row as the backend's driver returns it.
    type Row: Send + Sync;

    fn cursor(&mut self) -> &mut Cursor;

    /// The attendees of the meetings after `after` (`""`: from the start), ordered by meeting
    /// and position, with the page's last meeting: the meeting of the `limit`-th attendee, so
    /// that no meeting's group is split between pages. `None` once no meeting is left.
    async fn attendee_page(&mut self, after: &str, limit: usize) -> Result<Option<(String, Vec<Self::Row>)>>;

    /// Up to `limit` responses after id `after` that name an organisation or a register id,
    /// ordered by id, as `(id, organization, register_id)`.
    async fn response_page(&mut self, after: i64, limit: usize) -> Result<Vec<Self::Row>>;
}

/// `Relinker::next_groups`: the next page of groups, meetings first; empty once both are read.
pub async fn next_groups<P>(pages: &mut P, limit: usize) -> Result<Vec<MentionGroup>>
where
    P: RelinkPages + ?Sized,
    for<'r> &'r P::Row: Into<RowRef<'r>>,
{
    let limit = limit.max(1);
    loop {
        // Taken out so that a failed read leaves the pass done rather than repeating the page.
        match std::mem::replace(pages.cursor(), Cursor::Done) {
            Cursor::Meetings(after) => {
                if let Some((last, rows)) = pages.attendee_page(&after.unwrap_or_default(), limit).await? {
                    let groups = attendee_groups(rows.iter().map(|r| Cols::new(r, "meeting_attendees")))?;
                    if !groups.is_empty() {
                        *pages.cursor() = Cursor::Meetings(Some(last));
                        return Ok(groups);
                    }
                }
                *pages.cursor() = Cursor::Responses(None);
            }
            Cursor::Responses(after) => {
                let rows = pages.response_page(after.unwrap_or(i64::MIN), limit).await?;
                let (groups, last) = response_groups(rows.iter().map(|r| Cols::new(r, "feedback")))?;
                *pages.cursor() = if groups.is_empty() { Cursor::Done } else { Cursor::Responses(last) };
                return Ok(groups);
            }
            Cursor::Done => return Ok(Vec::new()),
        }
    }
}

/// Attendee rows `(meeting_id, position, name, register_id)`, ordered by meeting, as one group
/// per meeting. The page's last meeting is the backend's bound ([`RelinkPages::attendee_page`]),
/// not the last row's, so that the cursor moves exactly as far as the page reached.
pub fn attendee_groups<'r>(rows: impl IntoIterator<Item = Cols<'r>>) -> Result<Vec<MentionGroup>> {
    let mut groups: Vec<MentionGroup> = Vec::new();
    let mut current: Option<String> = None;
    for c in rows {
        let meeting_id: String = c.get(0)?;
        let mention = Mention {
            at: MentionRef::Attendee { meeting_id: meeting_id.clone(), position: c.u32(1)? },
            name: c.get(2)?,
            register_id: c.register_id_opt(3)?,
        };
        match groups.last_mut() {
            Some(g) if current.as_deref() == Some(meeting_id.as_str()) => g.mentions.push(mention),
            _ => {
                groups.push(MentionGroup { mentions: vec![mention] });
                current = Some(meeting_id);
            }
        }
    }
    Ok(groups)
}

/// Response rows `(id, organization, register_id)` as one group each, with the last id.
pub fn response_groups<'r>(rows: impl IntoIterator<Item = Cols<'r>>) -> Result<(Vec<MentionGroup>, Option<i64>)> {
    let rows = rows.into_iter();
    let mut groups = Vec::with_capacity(rows.size_hint().0);
    let mut last = None;
    for c in rows {
        let id: i64 = c.get(0)?;
        last = Some(id);
        groups.push(MentionGroup {
            mentions: vec![Mention {
                at: MentionRef::Feedback { id: c.u64(0)? },
                name: c.get(1)?,
                register_id: c.register_id_opt(2)?,
            }],
        });
    }
    Ok((groups, last))
}

/// A meeting attendee's link: `(meeting_id, position, org, method)`.
pub type AttendeeLink<'a> = (&'a str, u32, &'a OrgKey, LinkMethod);

/// A response's link: `(id, org, method)`, the id as the column stores it.
pub type ResponseLink<'a> = (i64, &'a OrgKey, LinkMethod);

/// Links sorted by the table they go to, in their order.
pub fn split_links(links: &[LinkedMention]) -> Result<(Vec<AttendeeLink<'_>>, Vec<ResponseLink<'_>>)> {
    let mut attendees = Vec::new();
    let mut responses = Vec::new();
    for l in links {
        match &l.at {
            MentionRef::Attendee { meeting_id, position } => {
                attendees.push((meeting_id.as_str(), *position, &l.org, l.method))
            }
            MentionRef::Feedback { id } => {
                let id = i64::try_from(*id).map_err(|_| corrupt(format!("a response id out of range: {id}")))?;
                responses.push((id, &l.org, l.method));
            }
        }
    }
    Ok((attendees, responses))
}
