//! Who a direct message is between: two people, or a group DM of three to eight, all of one
//! tenant. The set is the DM: its id is derived from it, and it never changes.

use super::error::InvalidInput;
use super::ids::{ConversationId, TenantId, UserId};

/// The most people a DM holds, the one who opens it included (Slack's group DMs stop at 9; we
/// keep 8 so every member's name fits the sidebar and one transaction stays small).
pub const MAX_DM_PEOPLE: usize = 8;

/// The people of a DM, the caller included: sorted, each once, 2 to `MAX_DM_PEOPLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmPeople(Vec<UserId>);

impl DmPeople {
    /// The caller and the people they named (`field` is the request's name for the list, for
    /// the error). Naming the caller too, or someone twice, changes nothing.
    pub fn new(
        caller: &UserId,
        named: impl IntoIterator<Item = UserId>,
        field: &'static str,
    ) -> Result<Self, InvalidInput> {
        let mut people: Vec<UserId> = named.into_iter().chain(std::iter::once(caller.clone())).collect();
        people.sort();
        people.dedup();
        if people.len() < 2 {
            return Err(InvalidInput::new(field, "must be someone else"));
        }
        if people.len() > MAX_DM_PEOPLE {
            return Err(InvalidInput::new(
                field,
                format!("a group DM has at most {MAX_DM_PEOPLE} people: you and {} others", MAX_DM_PEOPLE - 1),
            ));
        }
        Ok(Self(people))
    }

    /// Everyone, in user-id order.
    pub fn all(&self) -> &[UserId] {
        &self.0
    }

    /// The conversation these people share in `tenant`.
    pub fn conversation_id(&self, tenant: &TenantId) -> ConversationId {
        ConversationId::for_dm_of(tenant, &self.0)
    }

    /// More than two people.
    pub fn is_group(&self) -> bool {
        self.0.len() > 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(n: usize) -> Vec<UserId> {
        (0..n).map(|i| UserId::parse(&format!("user{i}")).expect("user")).collect()
    }

    #[test]
    fn one_other_person_is_the_ordinary_dm() {
        let acme = TenantId::parse("acme").unwrap();
        let [me, bob] = [users(2)[0].clone(), users(2)[1].clone()];
        let people = DmPeople::new(&me, [bob.clone()], "userIds").unwrap();
        assert!(!people.is_group());
        assert_eq!(people.conversation_id(&acme), ConversationId::for_dm(&acme, &me, &bob));
    }

    #[test]
    fn sets_of_three_and_eight_are_group_dms_whatever_the_order_and_whoever_opens() {
        let acme = TenantId::parse("acme").unwrap();
        for n in [3, 8] {
            let all = users(n);
            let by_first = DmPeople::new(&all[0], all[1..].iter().cloned(), "userIds").unwrap();
            // The last person opens it, naming everyone (themselves too) backwards and twice.
            let named = all.iter().rev().chain(all.iter()).cloned();
            let by_last = DmPeople::new(&all[n - 1], named, "userIds").unwrap();
            assert_eq!(by_first, by_last);
            assert_eq!(by_first.all(), &all[..]);
            assert!(by_first.is_group());
            assert_eq!(by_first.conversation_id(&acme), by_last.conversation_id(&acme));
        }
    }

    #[test]
    fn nine_people_or_nobody_else_is_refused() {
        let all = users(9);
        let nine = DmPeople::new(&all[0], all[1..].iter().cloned(), "userIds").unwrap_err();
        assert_eq!(nine.field, "userIds");
        // Duplicates do not count: eight distinct people are fine however often they are named.
        let eight = all[1..8].iter().chain(&all[1..8]).cloned();
        assert_eq!(DmPeople::new(&all[0], eight, "userIds").unwrap().all().len(), 8);
        assert!(DmPeople::new(&all[0], [], "userIds").is_err());
        let alone = DmPeople::new(&all[0], [all[0].clone(), all[0].clone()], "userId").unwrap_err();
        assert_eq!(alone.field, "userId");
    }
}
