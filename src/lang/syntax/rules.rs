//! Human names of grammar rules, for "expected ..." messages. The match is exhaustive on purpose:
//! a new rule has no name until someone writes one.

use crate::lang::syntax::parser::Rule;

/// Listed last among alternatives.
pub(crate) const END_OF_COMMAND: &str = "the end of the command";

/// What the user should have written where `rule` was expected.
pub(crate) fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::kw_checkin
        | Rule::kw_checkout
        | Rule::kw_move
        | Rule::kw_rename
        | Rule::kw_mw
        | Rule::kw_dnd
        | Rule::kw_show
        | Rule::kw_test
        | Rule::kw_wakeup
        | Rule::wakeup
        | Rule::limit
        | Rule::line
        | Rule::block
        | Rule::commands
        | Rule::checkin
        | Rule::checkout
        | Rule::cos
        | Rule::relocation
        | Rule::rename
        | Rule::did
        | Rule::flag
        | Rule::show
        | Rule::test
        | Rule::command => "a command",
        Rule::checkin_option => "`DID`, `COS`, `LIMIT` or `REPLACE`",
        Rule::kw_limit | Rule::limit_option => "`LIMIT`",
        Rule::amount => "an amount such as 50 or 12.50",
        Rule::kw_replace | Rule::replace_option => "`REPLACE`",
        Rule::kw_did | Rule::did_option => "`DID`",
        Rule::kw_cos | Rule::cos_option => "`COS`",
        Rule::kw_auto => "`AUTO`",
        Rule::kw_none => "`NONE`",
        Rule::kw_on | Rule::kw_off => "`ON` or `OFF`",
        Rule::wakeup_at | Rule::wakeup_clear => "a time such as 07:00, or `CLEAR`",
        Rule::kw_clear => "`CLEAR`",
        Rule::clock => "a time of day such as 07:00",
        Rule::day => "a date such as 2026-12-24",
        Rule::EOI => END_OF_COMMAND,
        Rule::ext => "a directory number (digits)",
        Rule::number => "a DID number (digits)",
        Rule::level => "a class of service (`ALLOW`, `BLOCK` or a configured level)",
        Rule::name => "a name in double quotes, such as \"Solo,Alina\"",
        Rule::name_text | Rule::escape => "the rest of the name",
        Rule::WHITESPACE | Rule::COMMENT | Rule::word_char => "a blank",
    }
}

/// `true` for the keywords that start a command: when one of them is expected, the message says
/// "a command" instead of listing `DID` and `COS` as if they were options.
pub(crate) fn starts_command(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_checkin
            | Rule::kw_checkout
            | Rule::kw_move
            | Rule::kw_rename
            | Rule::kw_mw
            | Rule::kw_dnd
            | Rule::kw_show
            | Rule::kw_test
            | Rule::kw_wakeup
    )
}
