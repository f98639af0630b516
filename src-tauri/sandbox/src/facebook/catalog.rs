//! Fixed lists from Meta's documentation: login permissions and page webhook fields.

/// Permissions the dialog knows, with the sentence it shows for each. Others are reported as
/// "Invalid Scopes" to the developer and ignored, as Meta does.
pub const PERMISSIONS: [(&str, &str); 16] = [
    ("public_profile", "Your name and profile picture"),
    ("email", "Your email address"),
    ("pages_show_list", "Show a list of the Pages you manage"),
    (
        "pages_messaging",
        "Manage and access Page conversations in Messenger",
    ),
    (
        "pages_manage_metadata",
        "Manage accounts, settings and webhooks for a Page",
    ),
    ("pages_read_engagement", "Read content posted on the Page"),
    ("pages_read_user_content", "Read user content on your Page"),
    (
        "pages_manage_posts",
        "Create and manage content on your Page",
    ),
    (
        "pages_manage_engagement",
        "Create and manage activity on your Page",
    ),
    ("pages_manage_ads", "Create and manage ads for your Page"),
    (
        "pages_messaging_subscriptions",
        "Send messages from your Page at any time",
    ),
    ("read_insights", "Read the insights of your Pages"),
    ("business_management", "Manage your business"),
    (
        "instagram_basic",
        "Access profile and posts from the Instagram account connected to your Page",
    ),
    (
        "instagram_manage_messages",
        "Manage and access Instagram messages",
    ),
    (
        "human_agent",
        "Respond to people as a human agent up to 7 days after their message",
    ),
];

pub fn permission_text(scope: &str) -> Option<&'static str> {
    PERMISSIONS
        .iter()
        .find(|(name, _)| *name == scope)
        .map(|(_, text)| *text)
}

/// Page webhook fields accepted by `POST /{page-id}/subscribed_apps` (the `subscribed_fields`
/// enum of the Page Subscribed Apps reference), in Meta's order.
pub const PAGE_WEBHOOK_FIELDS: [&str; 41] = [
    "feed",
    "mention",
    "name",
    "picture",
    "category",
    "description",
    "conversations",
    "feature_access_list",
    "inbox_labels",
    "standby",
    "messages",
    "messaging_account_linking",
    "messaging_checkout_updates",
    "message_echoes",
    "message_deliveries",
    "messaging_game_plays",
    "messaging_optins",
    "messaging_optouts",
    "messaging_payments",
    "messaging_postbacks",
    "messaging_pre_checkouts",
    "message_reads",
    "messaging_referrals",
    "messaging_handovers",
    "messaging_policy_enforcement",
    "messaging_appointments",
    "messaging_direct_sends",
    "messaging_fblogin_account_linking",
    "user_action",
    "messaging_feedback",
    "message_reactions",
    "message_edits",
    "messaging_customer_information",
    "calls",
    "leadgen",
    "live_videos",
    "ratings",
    "videos",
    "website",
    "phone",
    "email",
];

/// Tasks that allow managing a page's webhook subscriptions (Page Subscribed Apps reference:
/// "a person who can perform the CREATE_CONTENT, MANAGE, or MODERATE task").
pub const SUBSCRIBE_TASKS: [&str; 3] = ["CREATE_CONTENT", "MANAGE", "MODERATE"];
