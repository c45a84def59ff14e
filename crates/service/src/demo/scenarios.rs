//! Demo conversations: realistic support handoffs the demo workspace and the simulator draw from.

use handoff_protocol::{HandoffReason, Priority, Role};

/// One customer conversation that a bot hands to a human.
pub struct Scenario {
    pub channel: &'static str, // "web", "whatsapp", "email", "messenger"
    pub customer_name: &'static str,
    pub email: Option<&'static str>,
    pub phone: Option<&'static str>,
    pub vip: bool,
    /// Yearly account value in whole US dollars.
    pub account_value: Option<i64>,
    pub reason: HandoffReason, // Sentiment | ExplicitRequest | Workflow | Vip | Other
    /// What fired, e.g. "customer typed 'human'", "said: This is terrible", "workflow: callback requested", "VIP account (ARR $48,000)".
    pub trigger: &'static str,
    pub priority: Priority, // Urgent | High | Normal | Low
    /// The bot's one-line summary; None for some scenarios (the app then computes one itself).
    pub summary: Option<&'static str>,
    pub topic: &'static str,
    /// The conversation before the handoff, alternating customer/bot mostly; 3 to 10 lines.
    pub transcript: &'static [(Role, &'static str)],
    /// Customer messages that may arrive later while the customer waits (1 to 3).
    pub follow_ups: &'static [&'static str],
    /// What a human agent answered when this kind of conversation was resolved (1 to 3 lines).
    pub agent_replies: &'static [&'static str],
}

pub static SCENARIOS: &[Scenario] = &[
    // Annual billing
    Scenario {
        channel: "web",
        customer_name: "Sam Carter",
        email: Some("sam.carter@example.com"),
        phone: None,
        vip: false,
        account_value: Some(588),
        reason: HandoffReason::ExplicitRequest,
        trigger: "customer typed 'human'",
        priority: Priority::Normal,
        summary: Some("Pro plan customer wants to switch from monthly to annual billing."),
        topic: "Annual billing",
        transcript: &[
            (Role::Customer, "Hi! Can I pay yearly instead of monthly? I'm on the Pro plan at $49/month."),
            (
                Role::Bot,
                "Great question! You can compare plans and billing periods here: \
                 https://help.example.com/billing/plans. Is there anything else I can help with?",
            ),
            (Role::Customer, "I read that, it doesn't say what happens to the month I already paid for."),
            (Role::Bot, "I'm sorry, I couldn't find an answer to that. Could you rephrase your question?"),
            (Role::Customer, "human"),
            (Role::Bot, "No problem — I'm connecting you with a human expert now."),
        ],
        follow_ups: &[
            "Also, will the yearly price stay the same if you raise prices later?",
            "Still here whenever you're ready 🙂",
        ],
        agent_replies: &[
            "Hi Sam, yes — annual billing gives you 2 months free, so Pro is $490/year instead of \
             $588 (about 17% off).",
            "I've switched you to annual billing. The unused part of this month's $49.00 is \
             credited pro rata against the annual invoice, so you never pay twice.",
            "If you want to change it yourself later, it's under Settings → Billing → Plan → Pay \
             annually. Your price is locked for the 12 months.",
        ],
    },
    // Refund
    Scenario {
        channel: "web",
        customer_name: "Marcus Johnson",
        email: Some("marcus.johnson@example.com"),
        phone: None,
        vip: false,
        account_value: None,
        reason: HandoffReason::Sentiment,
        trigger: "said: This is terrible, I returned it three weeks ago and still nothing",
        priority: Priority::High,
        summary: Some("Refund for returned order #A-20931 ($129.00) not received after 3 weeks."),
        topic: "Refund",
        transcript: &[
            (Role::Customer, "I returned order #A-20931 three weeks ago and still haven't got my $129.00 back."),
            (
                Role::Bot,
                "I'm sorry to hear that! Refunds usually take 5–10 business days after we receive \
                 the return. You can check the status here: \
                 https://help.example.com/returns/status",
            ),
            (
                Role::Customer,
                "The status page says 'return received' since March 2nd. That's way more than 10 \
                 days.",
            ),
            (Role::Bot, "Could you confirm the order number so I can look it up?"),
            (
                Role::Customer,
                "I literally just gave it to you. #A-20931. This is terrible, I returned it three \
                 weeks ago and still nothing.",
            ),
            (Role::Bot, "You're right, and I apologise. I'm connecting you with a human expert now."),
        ],
        follow_ups: &["It was paid with a Visa ending in 4417 if that helps.", "Anyone?"],
        agent_replies: &[
            "Hi Marcus, I'm really sorry — your return was received on March 2nd but the refund \
             got stuck in a manual review queue.",
            "I've released the $129.00 refund to your Visa ending in 4417 just now; banks usually \
             show it within 3–5 business days. I've also added a $15 credit to your account for \
             the hassle.",
        ],
    },
    // 2FA reset
    Scenario {
        channel: "web",
        customer_name: "Tomás Novák",
        email: Some("tomas.novak@example.com"),
        phone: None,
        vip: false,
        account_value: Some(588),
        reason: HandoffReason::ExplicitRequest,
        trigger: "asked: Can I talk to a human please",
        priority: Priority::High,
        summary: Some("New phone, authenticator app lost, no backup codes; sole admin needs 2FA reset."),
        topic: "2FA reset",
        transcript: &[
            (
                Role::Customer,
                "I got a new phone and my authenticator app didn't transfer. Now I can't log in, \
                 it keeps asking for the 6-digit code.",
            ),
            (
                Role::Bot,
                "Sorry to hear that! You can use one of your backup codes instead. Here's how: \
                 https://help.example.com/security/backup-codes",
            ),
            (Role::Customer, "I never saved backup codes."),
            (Role::Bot, "Without backup codes, you can ask your workspace admin to reset 2FA for you."),
            (Role::Customer, "I AM the admin. It's just me. Can I talk to a human please"),
            (
                Role::Bot,
                "Of course. For security reasons a teammate needs to verify your identity — I'm \
                 connecting you now.",
            ),
        ],
        follow_ups: &[
            "I can verify with the last 4 digits of the card we pay with: 8820.",
            "Login email is tomas.novak@example.com",
        ],
        agent_replies: &[
            "Hi Tomás, thanks for the details — the card and billing info match, so I've verified \
             your identity.",
            "I've reset two-factor authentication on your account. Next time you log in you'll be \
             asked to set it up again; please save the backup codes somewhere safe this time!",
        ],
    },
    // Shipping delay
    Scenario {
        channel: "web",
        customer_name: "Grace Kim",
        email: Some("grace.kim@example.com"),
        phone: None,
        vip: false,
        account_value: None,
        reason: HandoffReason::ExplicitRequest,
        trigger: "customer typed 'human'",
        priority: Priority::Normal,
        summary: Some("Order #A-31877 stuck 'in transit' for 12 days; it's a birthday present."),
        topic: "Shipping delay",
        transcript: &[
            (Role::Customer, "My order #A-31877 has been 'in transit' for 12 days. It was supposed to take 3–5."),
            (
                Role::Bot,
                "Sorry for the delay! You can track your parcel here: \
                 https://track.example.com/A-31877",
            ),
            (Role::Customer, "Yes, that's where it says in transit. Last scan was in Memphis on the 4th."),
            (
                Role::Bot,
                "Carriers sometimes don't scan every stop. If there's no update within 14 days we \
                 can open an investigation.",
            ),
            (Role::Customer, "human"),
            (Role::Bot, "Sure — I'm connecting you with a human expert now."),
        ],
        follow_ups: &["It's a birthday present so I'd rather not wait another 2 weeks."],
        agent_replies: &[
            "Hi Grace, sorry about this! I've opened a trace with the carrier for #A-31877, and \
             since it's a birthday present I've also shipped a replacement by express — 2 business \
             days.",
            "If the original shows up, keep it or send it back with the free label in your email, \
             whichever is easier.",
        ],
    },
    // Damaged item
    Scenario {
        channel: "web",
        customer_name: "Ben Adler",
        email: Some("ben.adler@example.com"),
        phone: None,
        vip: false,
        account_value: None,
        reason: HandoffReason::Sentiment,
        trigger: "said: It arrived smashed. Absolutely useless.",
        priority: Priority::High,
        summary: Some("Blender jar from order 558731 ($89.00) arrived broken; won't wait 7-day review."),
        topic: "Damaged item",
        transcript: &[
            (
                Role::Customer,
                "The glass jar of the blender I ordered (order 558731) arrived smashed. There's \
                 glass all over the box.",
            ),
            (
                Role::Bot,
                "Oh no, I'm sorry! Could you upload a photo of the damage? You can do that here: \
                 https://help.example.com/returns/damaged",
            ),
            (Role::Customer, "Uploaded 3 photos. Now the form says it can take 7 days to review?"),
            (Role::Bot, "Yes, damage claims are reviewed within 7 business days."),
            (
                Role::Customer,
                "It arrived smashed. Absolutely useless. I'm not waiting a week for a blender I \
                 already paid $89.00 for.",
            ),
            (Role::Bot, "That's completely fair. I'm connecting you with a human expert now."),
        ],
        follow_ups: &["Do I need to send the broken one back? I'd rather not ship broken glass."],
        agent_replies: &[
            "Hi Ben, I'm so sorry it arrived like that — the photos say it all, no review needed.",
            "A replacement for order 558731 ships today by express. Please don't send the broken \
             one back; just dispose of it carefully.",
        ],
    },
    // Annual billing
    Scenario {
        channel: "email",
        customer_name: "Zoë Müller",
        email: Some("zoe.muller@example.org"),
        phone: None,
        vip: false,
        account_value: Some(2388),
        reason: HandoffReason::Workflow,
        trigger: "workflow: billing change request",
        priority: Priority::Low,
        summary: None,
        topic: "Annual billing",
        transcript: &[
            (
                Role::Customer,
                "Subject: Annual subscription discount? Hello, we are on the Business plan \
                 (monthly, $199). Is there a discount if we move to an annual subscription? Kind \
                 regards, Zoë",
            ),
            (
                Role::Bot,
                "Thanks for reaching out, Zoë! Our pricing page lists all plans: \
                 https://example.com/pricing. Would you like me to open a billing change request?",
            ),
            (
                Role::Customer,
                "Yes please. And we need the invoice addressed to Müller & Partner GmbH, not to me \
                 personally.",
            ),
            (
                Role::Bot,
                "Got it. Billing changes are handled by our billing team, so I'm passing this on \
                 to a colleague who will reply by email.",
            ),
        ],
        follow_ups: &["Small addition: our VAT ID is DE123456789, please include it on the annual invoice."],
        agent_replies: &[
            "Hallo Zoë, thanks for your patience! Annual billing on Business is 2 months free — \
             $1,990/year instead of $2,388, roughly 17% off.",
            "I've made the switch for Müller & Partner GmbH and added your VAT ID to the billing \
             profile. The remaining days of your current month are credited pro rata on the first \
             annual invoice.",
            "For future changes you'll find the option under Settings → Billing → Plan.",
        ],
    },
    // Double charge
    Scenario {
        channel: "web",
        customer_name: "Sofia Rossi",
        email: Some("sofia.rossi@example.com"),
        phone: None,
        vip: false,
        account_value: Some(588),
        reason: HandoffReason::Sentiment,
        trigger: "said: You charged me twice, this is theft",
        priority: Priority::Urgent,
        summary: Some("Charged $49.00 twice for Pro plan; both charges posted."),
        topic: "Double charge",
        transcript: &[
            (
                Role::Customer,
                "I was charged $49.00 twice today for my Pro plan. Two identical charges on my \
                 card statement.",
            ),
            (
                Role::Bot,
                "Sorry for the confusion! Sometimes a pending authorisation shows up next to the \
                 final charge, and the pending one drops off in a few days.",
            ),
            (Role::Customer, "They are both posted, not pending. My bank confirmed."),
            (Role::Bot, "Thanks for checking. You can view your invoices in Settings → Billing → Invoices."),
            (
                Role::Customer,
                "There is ONE invoice there and TWO charges on my card. You charged me twice, this \
                 is theft.",
            ),
            (Role::Bot, "I understand, and I'm sorry. I'm connecting you with a human expert now."),
        ],
        follow_ups: &["Card ends in 0931.", "I want the extra $49 back today, not in two weeks."],
        agent_replies: &[
            "Hi Sofia, I'm really sorry — our payment provider retried a charge that had already \
             succeeded. You're right, you were charged twice.",
            "I've refunded the duplicate $49.00 to the card ending in 0931 right away; it usually \
             shows within 3–5 business days. I've also emailed you a confirmation from our payment \
             provider you can show your bank.",
        ],
    },
    // Refund
    Scenario {
        channel: "email",
        customer_name: "Nguyễn Thị Mai",
        email: Some("mai.nguyen@example.com"),
        phone: None,
        vip: false,
        account_value: Some(490),
        reason: HandoffReason::ExplicitRequest,
        trigger: "asked: I want to speak to a person",
        priority: Priority::Normal,
        summary: Some("Pro plan auto-renewed yesterday ($490.00); wants a refund, meant to cancel."),
        topic: "Refund",
        transcript: &[
            (
                Role::Customer,
                "Hi, my Pro plan auto-renewed yesterday and I was charged $490.00. I meant to \
                 cancel before renewal. Can I get a refund?",
            ),
            (
                Role::Bot,
                "I'm sorry about the surprise! You can cancel your subscription anytime in \
                 Settings → Billing. Here's how: https://help.example.com/billing/cancel",
            ),
            (Role::Customer, "I know how to cancel. I'm asking about the refund for the $490.00 charge."),
            (
                Role::Bot,
                "Refunds are handled according to our refund policy: \
                 https://example.com/legal/refunds",
            ),
            (Role::Customer, "I want to speak to a person, please."),
            (Role::Bot, "Of course. I'm handing this over to a member of our billing team."),
        ],
        follow_ups: &["I haven't used the account since the renewal, you can check."],
        agent_replies: &[
            "Hi Mai, thanks for your patience. Since the renewal was yesterday and there's been no \
             activity since, you're well within our 14-day refund window.",
            "I've cancelled the subscription and refunded the full $490.00 to your original \
             payment method — you'll see it in 5–10 business days. Your data stays available \
             read-only for 30 days if you want to export anything.",
        ],
    },
    // Wrong charge
    Scenario {
        channel: "email",
        customer_name: "Arjun Mehta",
        email: Some("arjun.mehta@example.com"),
        phone: None,
        vip: false,
        account_value: Some(588),
        reason: HandoffReason::Workflow,
        trigger: "workflow: billing dispute",
        priority: Priority::High,
        summary: Some("Downgraded Business → Pro on the 1st but charged $199.00 instead of $49.00."),
        topic: "Wrong charge",
        transcript: &[
            (
                Role::Customer,
                "I downgraded from Business to Pro on the 1st, but this month I was charged \
                 $199.00 again instead of $49.00.",
            ),
            (
                Role::Bot,
                "Thanks, Arjun. Plan changes take effect at the start of your next billing cycle. \
                 When does your cycle start?",
            ),
            (Role::Customer, "On the 5th. I downgraded on the 1st, so the 5th should have been $49."),
            (
                Role::Bot,
                "Thanks for the details. Billing disputes are handled by our billing team; I've \
                 opened a case and passed it to a colleague.",
            ),
        ],
        follow_ups: &["Invoice number is INV-2024-2231."],
        agent_replies: &[
            "Hi Arjun, you're right — the downgrade on the 1st was saved but not applied to the \
             renewal on the 5th because of a sync issue on our side.",
            "I've refunded the $150.00 difference on INV-2024-2231 and confirmed you're on Pro at \
             $49.00/month going forward.",
        ],
    },
    // Annual billing
    Scenario {
        channel: "whatsapp",
        customer_name: "José Álvarez",
        email: Some("jose.alvarez@example.com"),
        phone: Some("+1-555-0117"),
        vip: false,
        account_value: Some(228),
        reason: HandoffReason::ExplicitRequest,
        trigger: "asked: can a real person do it for me pls",
        priority: Priority::Normal,
        summary: Some("Starter customer asking how to switch to annual billing and whether it's cheaper."),
        topic: "Annual billing",
        transcript: &[
            (Role::Customer, "hola! how do i swich my plan to anual billing?? is ther a discount"),
            (
                Role::Bot,
                "Hi José! You can change your billing period in Settings → Billing. Here's a \
                 guide: https://help.example.com/billing/change-period",
            ),
            (Role::Customer, "i only use the app on my phone, i dont see settings > billing anywhere 😕"),
            (
                Role::Bot,
                "Billing settings are available in the web app at app.example.com. Would you like \
                 the link again?",
            ),
            (Role::Customer, "can a real person do it for me pls"),
            (Role::Bot, "Of course! I'm connecting you with someone from our team now."),
        ],
        follow_ups: &["its the Starter plan btw", "gracias!"],
        agent_replies: &[
            "¡Hola José! Yes, there's a discount: paying annually gives you 2 months free, so \
             Starter is $190/year instead of $228 (about 17% off).",
            "I've switched your account to annual billing for you. The days left in your current \
             month are credited pro rata, so the first annual invoice is a bit lower.",
            "Next time it's in the web app under Settings → Billing → Plan — the mobile app \
             doesn't show billing yet, sorry about that!",
        ],
    },
    // Password reset
    Scenario {
        channel: "web",
        customer_name: "Aisha Bello",
        email: Some("aisha.bello@example.org"),
        phone: None,
        vip: false,
        account_value: Some(2388),
        reason: HandoffReason::Sentiment,
        trigger: "said: I've been locked out for two days, this is unacceptable",
        priority: Priority::Urgent,
        summary: Some("Password reset emails never arrive; locked out for two days, team blocked."),
        topic: "Password reset",
        transcript: &[
            (Role::Customer, "The password reset email never arrives. I've requested it 5 times."),
            (
                Role::Bot,
                "Sorry about that! Please check your spam folder and make sure you're using the \
                 email on your account.",
            ),
            (Role::Customer, "Checked spam. It's aisha.bello@example.org, same one I always use."),
            (Role::Bot, "Reset emails can take up to 10 minutes. Would you like me to send another one?"),
            (
                Role::Customer,
                "I've been locked out for two days, this is unacceptable. Our whole team is \
                 waiting on me to approve invoices.",
            ),
            (
                Role::Bot,
                "I'm really sorry. This needs a person — I'm connecting you with a human expert \
                 now.",
            ),
        ],
        follow_ups: &["Still nothing in my inbox.", "Please hurry, payroll approvals are due today."],
        agent_replies: &[
            "Hi Aisha, I'm so sorry about this. Your address had landed on our email provider's \
             suppression list after a bounce last month, so our emails were silently dropped.",
            "I've removed it from the list and sent a fresh reset link — it should arrive within a \
             minute. I'll stay on the chat until you're back in.",
        ],
    },
    // Plan downgrade
    Scenario {
        channel: "web",
        customer_name: "Ingrid Johansson",
        email: Some("ingrid.johansson@example.com"),
        phone: None,
        vip: false,
        account_value: Some(2388),
        reason: HandoffReason::ExplicitRequest,
        trigger: "asked: Can someone from your team help me with this?",
        priority: Priority::Normal,
        summary: None,
        topic: "Plan downgrade",
        transcript: &[
            (
                Role::Customer,
                "We want to downgrade from Business to Pro. Will we lose our conversation history \
                 or custom reports?",
            ),
            (
                Role::Bot,
                "You can change your plan in Settings → Billing → Plan. Here's a comparison of \
                 plan features: https://example.com/pricing#compare",
            ),
            (
                Role::Customer,
                "The comparison says Pro has 'up to 5 custom reports'. We have 12. What happens to \
                 the other 7?",
            ),
            (Role::Bot, "I'm not sure. Is there anything else I can help you with?"),
            (Role::Customer, "Can someone from your team help me with this?"),
            (Role::Bot, "Absolutely — I'm connecting you with a human expert now."),
        ],
        follow_ups: &["We'd like to downgrade at the end of this billing cycle, not immediately."],
        agent_replies: &[
            "Hi Ingrid! Nothing is lost on a downgrade: all conversation history stays, and your \
             12 reports are kept — you can view all of them, you just can't create more than 5.",
            "I've scheduled the switch to Pro for the end of your current billing cycle on the \
             28th, so nothing changes until then.",
        ],
    },
    // Lost parcel
    Scenario {
        channel: "email",
        customer_name: "Łukasz Wiśniewski",
        email: Some("lukasz.w@example.com"),
        phone: None,
        vip: false,
        account_value: None,
        reason: HandoffReason::Sentiment,
        trigger: "said: Your courier is a joke and so is your support",
        priority: Priority::High,
        summary: Some("Order 559402 marked delivered 4 days ago but never arrived."),
        topic: "Lost parcel",
        transcript: &[
            (
                Role::Customer,
                "Tracking for order 559402 says 'delivered, left at front door' on Tuesday. There \
                 was nothing at my door.",
            ),
            (
                Role::Bot,
                "I'm sorry to hear that! Please check with neighbours and around your property, as \
                 parcels are sometimes left in a safe place.",
            ),
            (
                Role::Customer,
                "I checked. I live in an apartment building, there is no front door the courier \
                 can leave it at.",
            ),
            (
                Role::Bot,
                "If the parcel still hasn't turned up after 48 hours, you can file a claim here: \
                 https://help.example.com/shipping/missing",
            ),
            (Role::Customer, "It's been 4 days. Your courier is a joke and so is your support."),
            (
                Role::Bot,
                "I'm sorry — you shouldn't have to chase this. I'm connecting you with a human \
                 expert now.",
            ),
        ],
        follow_ups: &["Order total was 349 zł, paid by BLIK."],
        agent_replies: &[
            "Dzień dobry Łukasz, I'm sorry — the courier's GPS shows the delivery scan happened 2 \
             km from your address, so this one is on them, not you.",
            "I've sent a replacement for order 559402 at no cost (tracking to follow by email) and \
             filed a complaint with the carrier. Thanks for your patience.",
        ],
    },
    // Annual billing
    Scenario {
        channel: "web",
        customer_name: "Priya Raghunathan",
        email: Some("priya.r@example.com"),
        phone: None,
        vip: true,
        account_value: Some(48_000),
        reason: HandoffReason::Vip,
        trigger: "VIP account (ARR $48,000)",
        priority: Priority::High,
        summary: Some("VIP (ARR $48,000) wants yearly pricing and one invoice for 20 Business workspaces."),
        topic: "Annual billing",
        transcript: &[
            (
                Role::Customer,
                "Hi, we're setting next year's budget. Do you offer yearly pricing for our 20 \
                 Business workspaces?",
            ),
            (
                Role::Bot,
                "Yes! Annual plans are available on all tiers. You can learn more here: \
                 https://help.example.com/billing/annual",
            ),
            (
                Role::Customer,
                "I need a number I can put in front of our CFO this week, plus whether we can get \
                 one consolidated invoice instead of 20.",
            ),
            (
                Role::Bot,
                "Thanks, Priya. Since this involves your whole organisation's billing, I'm \
                 connecting you with your account team now.",
            ),
        ],
        follow_ups: &[
            "Our fiscal year starts 1 April, so ideally the annual term would start then.",
            "Could you also confirm the PO number can go on the invoice? PO-88213",
        ],
        agent_replies: &[
            "Hi Priya, happy to help! Annual billing is 2 months free on every plan — for 20 \
             Business workspaces that's $39,800/year instead of $47,760, about 17% off.",
            "We can consolidate everything onto one annual invoice starting 1 April with PO-88213 \
             on it. Until then you stay monthly, and any days already paid are credited pro rata.",
            "You can review it anytime under Settings → Billing → Plan. I've also emailed you the \
             quote as a PDF to forward to your CFO.",
        ],
    },
    // Invoice VAT number
    Scenario {
        channel: "email",
        customer_name: "Pierre Lefèvre",
        email: Some("pierre.lefevre@example.org"),
        phone: None,
        vip: false,
        account_value: Some(2388),
        reason: HandoffReason::Workflow,
        trigger: "workflow: invoice correction",
        priority: Priority::Low,
        summary: Some("Needs invoice INV-2024-0912 reissued with VAT number FR40123456789."),
        topic: "Invoice VAT number",
        transcript: &[
            (
                Role::Customer,
                "Bonjour, our invoice INV-2024-0912 is missing our VAT number, so our accountant \
                 can't deduct the VAT. Our number is FR40123456789.",
            ),
            (
                Role::Bot,
                "Hi Pierre! You can add a VAT number in Settings → Billing → Company details. It \
                 will appear on future invoices.",
            ),
            (Role::Customer, "I added it now, but I need INV-2024-0912 corrected too, it's for last quarter."),
            (
                Role::Bot,
                "Corrections to past invoices are done by our billing team. I've opened a request \
                 for you.",
            ),
        ],
        follow_ups: &["The company name should read \"Lefèvre Conseil SARL\"."],
        agent_replies: &[
            "Bonjour Pierre, I've reissued INV-2024-0912 with VAT number FR40123456789 and the \
             company name \"Lefèvre Conseil SARL\".",
            "The corrected invoice is in your billing inbox and under Settings → Billing → \
             Invoices. Future invoices will include the VAT number automatically (reverse charge \
             applies).",
        ],
    },
    // Refund
    Scenario {
        channel: "web",
        customer_name: "Hannah Schmidt",
        email: Some("hannah.schmidt@example.com"),
        phone: None,
        vip: true,
        account_value: Some(23_880),
        reason: HandoffReason::Workflow,
        trigger: "workflow: refund over $500",
        priority: Priority::High,
        summary: None,
        topic: "Refund",
        transcript: &[
            (
                Role::Customer,
                "We were charged $1,990.00 for the Business annual renewal on workspace 'Schmidt \
                 Logistik', but we moved that team to our main workspace in January.",
            ),
            (Role::Bot, "Thanks for letting me know, Hannah. Can you confirm the invoice number?"),
            (Role::Customer, "INV-2024-1187"),
            (
                Role::Bot,
                "Thanks! I found the invoice. Refunds above $500 need approval from our billing \
                 team, so I'm passing this to a colleague now.",
            ),
        ],
        follow_ups: &[
            "Please refund to the company card, not my personal one.",
            "We can close the old workspace right away if that helps.",
        ],
        agent_replies: &[
            "Hi Hannah, I've confirmed the 'Schmidt Logistik' workspace has had no activity since \
             January, so the renewal shouldn't have gone through.",
            "The full $1,990.00 for INV-2024-1187 is refunded to the company card on file, and \
             I've closed the old workspace. You'll get a credit note by email today.",
        ],
    },
    // Invoice copies
    Scenario {
        channel: "web",
        customer_name: "Noah Williams",
        email: Some("finance@example.com"),
        phone: None,
        vip: false,
        account_value: Some(2388),
        reason: HandoffReason::ExplicitRequest,
        trigger: "customer typed 'talk to agent'",
        priority: Priority::Low,
        summary: None,
        topic: "Invoice copies",
        transcript: &[
            (Role::Customer, "I need copies of all our invoices for the last 12 months for an audit."),
            (Role::Bot, "You can download invoices in Settings → Billing → Invoices."),
            (
                Role::Customer,
                "It only shows the last 6. And I need them as one PDF or a zip, the auditors want \
                 12 months.",
            ),
            (Role::Bot, "I'm sorry, I don't have a way to do that. Would you like to see our billing FAQ?"),
            (Role::Customer, "talk to agent"),
            (Role::Bot, "Sure! I'm connecting you with a human expert now."),
        ],
        follow_ups: &["Billing email is finance@example.com, please send it there."],
        agent_replies: &[
            "Hi Noah! I've put all 12 invoices from April to March into a single zip and sent it \
             to finance@example.com.",
            "For older invoices there's also a 'Show all' link at the bottom of Settings → Billing \
             → Invoices — it's easy to miss, sorry about that.",
        ],
    },
    // Annual billing
    Scenario {
        channel: "messenger",
        customer_name: "Åsa Lindqvist",
        email: Some("asa.lindqvist@example.net"),
        phone: None,
        vip: false,
        account_value: Some(588),
        reason: HandoffReason::ExplicitRequest,
        trigger: "asked: Can I talk to someone from billing?",
        priority: Priority::Normal,
        summary: Some("Pro customer asks if paying for a full year is cheaper; just renewed monthly."),
        topic: "Annual billing",
        transcript: &[
            (Role::Customer, "Hej! Is it cheaper if I pay for the whole year at once?"),
            (Role::Bot, "Hi Åsa! We offer monthly and annual billing. Which plan are you currently on?"),
            (Role::Customer, "Pro. I just renewed on the 3rd, so I don't want to lose what I paid."),
            (
                Role::Bot,
                "You can find details about plan changes here: \
                 https://help.example.com/billing/change-plan",
            ),
            (
                Role::Customer,
                "That article is about upgrading, not about paying yearly. Can I talk to someone \
                 from billing?",
            ),
            (Role::Bot, "Sure thing — I'm handing you over to a billing specialist now."),
        ],
        follow_ups: &["Tack! No rush."],
        agent_replies: &[
            "Hej Åsa! Yes, it's cheaper — annual billing is 2 months free, so Pro comes to \
             $490/year instead of $588 (about 17% off).",
            "You won't lose what you paid on the 3rd: when you switch under Settings → Billing → \
             Plan, the unused days are credited pro rata to the annual invoice.",
        ],
    },
    // Login error
    Scenario {
        channel: "web",
        customer_name: "Jake Thompson",
        email: Some("jake.thompson@example.com"),
        phone: None,
        vip: false,
        account_value: Some(228),
        reason: HandoffReason::Other,
        trigger: "bot fallback: unrecognised error page pasted",
        priority: Priority::Normal,
        summary: None,
        topic: "Login error",
        transcript: &[
            (Role::Customer, "Trying to log in and I get this error page, copying it exactly:"),
            (Role::Customer, "<b>Error 500</b> Something went wrong <script>alert('x')</script> ref=LGN-7781"),
            (Role::Bot, "Thanks for sending that. Could you tell me which browser you're using?"),
            (
                Role::Customer,
                "Chrome on Windows. Also saw <img src=\"x\" onerror=\"alert(1)\"> in the page \
                 source, is that normal?? 😬",
            ),
            (
                Role::Bot,
                "I'm not able to interpret that error. I'll pass this to our team so a human can \
                 take a look.",
            ),
        ],
        follow_ups: &[
            "It works in Firefox but not Chrome, weird.",
            "ref was LGN-7781 again just now &amp; still <i>broken</i>",
        ],
        agent_replies: &[
            "Hi Jake, thanks for the detailed report — and good instinct to flag it. The odd \
             markup came from a broken error template, which our engineers have fixed (ref \
             LGN-7781). Your account was never at risk.",
            "Clearing cookies for app.example.com in Chrome ends the login loop; after that you \
             should be able to sign in normally.",
        ],
    },
    // Enterprise contract
    Scenario {
        channel: "email",
        customer_name: "Catherine Moreau",
        email: Some("catherine.moreau@example.com"),
        phone: None,
        vip: true,
        account_value: Some(180_000),
        reason: HandoffReason::Workflow,
        trigger: "workflow: enterprise contract inquiry",
        priority: Priority::High,
        summary: Some("300-seat Enterprise prospect: MSA redlines, EU data residency, DPA before pilot."),
        topic: "Enterprise contract",
        transcript: &[
            (
                Role::Customer,
                "Hello, we're evaluating your platform for 300 agents across 4 regions. Our legal \
                 team has redlines on your MSA and we need a signed DPA before the pilot.",
            ),
            (
                Role::Bot,
                "Thanks for your interest, Catherine! You can find our standard MSA and DPA here: \
                 https://example.com/legal",
            ),
            (
                Role::Customer,
                "We've read them — the redlines are on liability caps and data residency (EU \
                 only). Who can we talk to?",
            ),
            (
                Role::Bot,
                "Enterprise contracts are handled by our sales team. I'm passing your request on \
                 now.",
            ),
        ],
        follow_ups: &[
            "Target start date for the pilot is 1 June.",
            "Please copy procurement@example.com on all contract emails.",
        ],
        agent_replies: &[
            "Hello Catherine, thanks for the detail! I'll be your account executive for the \
             evaluation. Our legal team can review redlines on liability caps, and EU-only data \
             residency is available on the Enterprise plan.",
            "I've sent over our signed DPA and set up a call with our counsel for Thursday, with \
             procurement@example.com copied. A 1 June pilot start is very doable.",
        ],
    },
    // Shipping delay
    Scenario {
        channel: "whatsapp",
        customer_name: "Rafael Souza",
        email: None,
        phone: Some("+1-555-0139"),
        vip: false,
        account_value: None,
        reason: HandoffReason::Workflow,
        trigger: "workflow: delivery deadline at risk",
        priority: Priority::High,
        summary: None,
        topic: "Shipping delay",
        transcript: &[
            (
                Role::Customer,
                "Oi! My order 560017 is a wedding gift and the wedding is on Saturday 💍 The \
                 tracking still says 'label created'.",
            ),
            (
                Role::Bot,
                "Hi Rafael! Orders usually ship within 2 business days. Your order was placed on \
                 Wednesday, so it should ship soon.",
            ),
            (
                Role::Customer,
                "It's Thursday night already... is there any way to speed it up? I can pay for \
                 express.",
            ),
            (
                Role::Bot,
                "I've flagged your order as time-sensitive. A teammate will check whether we can \
                 upgrade the shipping.",
            ),
        ],
        follow_ups: &["Delivery address is the same as on the order, São Paulo.", "🙏🙏"],
        agent_replies: &[
            "Oi Rafael! Good news: I've upgraded order 560017 to express shipping free of charge, \
             and the warehouse is packing it tonight.",
            "It's scheduled to arrive Friday before 6pm — I'll send the new tracking link here as \
             soon as it's scanned. Parabéns to the couple! 🎉",
        ],
    },
    // Annual billing
    Scenario {
        channel: "web",
        customer_name: "Kwame Mensah",
        email: Some("kwame.mensah@example.com"),
        phone: None,
        vip: false,
        account_value: Some(588),
        reason: HandoffReason::Sentiment,
        trigger: "said: This is ridiculous, I've tried three times and the button does nothing",
        priority: Priority::High,
        summary: Some("Wants annual billing but the 'Pay annually' button is greyed out; frustrated."),
        topic: "Annual billing",
        transcript: &[
            (
                Role::Customer,
                "I want to switch my plan to annual billing. Your help article says Settings → \
                 Billing → Plan but the 'Pay annually' button is greyed out.",
            ),
            (
                Role::Bot,
                "Sorry about that! Please try refreshing the page or clearing your browser cache: \
                 https://help.example.com/troubleshooting/cache",
            ),
            (Role::Customer, "Did that. Different browser too."),
            (Role::Bot, "Thanks for trying. Could you check that you're logged in as the workspace owner?"),
            (
                Role::Customer,
                "This is ridiculous, I've tried three times and the button does nothing. I'm \
                 literally trying to give you more money.",
            ),
            (
                Role::Bot,
                "I completely understand how frustrating that is. I'm connecting you with a human \
                 expert now.",
            ),
        ],
        follow_ups: &["I'm the one who pays the bill, if that matters.", "Hello?"],
        agent_replies: &[
            "Hi Kwame, sorry for the runaround! The button was greyed out because the workspace \
             owner was still your former colleague's account — only the owner can change billing.",
            "I've made you the owner and switched you to annual billing: $490/year instead of \
             $588, so 2 months free (about 17% off). The unused part of this month is credited pro \
             rata.",
            "From now on Settings → Billing → Plan will work for you directly.",
        ],
    },
    // SSO setup
    Scenario {
        channel: "web",
        customer_name: "Daniel Park",
        email: Some("daniel.park@example.com"),
        phone: None,
        vip: true,
        account_value: Some(96_000),
        reason: HandoffReason::Vip,
        trigger: "VIP account (ARR $96,000)",
        priority: Priority::High,
        summary: Some("VIP: Okta SAML SSO fails with 'Invalid audience restriction'; rollout Monday."),
        topic: "SSO setup",
        transcript: &[
            (
                Role::Customer,
                "We're setting up SAML SSO with Okta and every login fails with 'Invalid audience \
                 restriction'.",
            ),
            (
                Role::Bot,
                "Sorry about that! Here's our guide to configuring Okta: \
                 https://help.example.com/sso/okta",
            ),
            (
                Role::Customer,
                "Followed it step by step. Entity ID is set to \
                 https://app.example.com/saml/metadata like the guide says.",
            ),
            (
                Role::Bot,
                "Thanks, Daniel. Since SSO is blocking your whole team, I'm escalating this to our \
                 identity specialists now.",
            ),
        ],
        follow_ups: &["We're rolling out to 250 agents on Monday, so this is kind of urgent."],
        agent_replies: &[
            "Hi Daniel, thanks for the screenshots. The guide had an outdated Entity ID — it \
             should include your workspace slug: https://app.example.com/saml/park-labs/metadata. \
             Sorry about that!",
            "Once you update it in Okta, logins work right away. I've fixed the guide too, and I'm \
             happy to join a quick call before your Monday rollout.",
        ],
    },
    // Refund
    Scenario {
        channel: "whatsapp",
        customer_name: "Diego Fernández",
        email: None,
        phone: Some("+1-555-0128"),
        vip: false,
        account_value: None,
        reason: HandoffReason::ExplicitRequest,
        trigger: "customer typed 'human'",
        priority: Priority::Normal,
        summary: Some("Cancelled order 558120 same day; €89.90 still not refunded after 8 days."),
        topic: "Refund",
        transcript: &[
            (
                Role::Customer,
                "Hola, I cancelled order 558120 the same day I placed it, but I was still charged \
                 €89.90 🙏",
            ),
            (
                Role::Bot,
                "Hi Diego! Orders cancelled before shipping are refunded automatically within 5 \
                 business days. When did you cancel?",
            ),
            (Role::Customer, "Last Monday. It's been 8 days."),
            (Role::Bot, "Thanks. You can track refunds in your account under Orders → Refunds."),
            (Role::Customer, "It says 'pending'. human"),
            (Role::Bot, "Understood — I'm connecting you with a human expert now."),
        ],
        follow_ups: &["👍 thanks"],
        agent_replies: &[
            "Hola Diego! The refund for order 558120 was stuck as 'pending' because the warehouse \
             hadn't confirmed the cancellation. I've pushed it through manually.",
            "€89.90 is on its way back to your card; depending on your bank it shows up within 3–5 \
             business days. Sorry for the wait!",
        ],
    },
    // SLA credit
    Scenario {
        channel: "email",
        customer_name: "Rebecca Stein",
        email: Some("rebecca.stein@example.com"),
        phone: Some("+1-555-0190"),
        vip: true,
        account_value: Some(210_000),
        reason: HandoffReason::Vip,
        trigger: "VIP account (ARR $210,000)",
        priority: Priority::Urgent,
        summary: Some("VIP claims SLA credit for the 3 March outage (2h40m, below 99.9% uptime)."),
        topic: "SLA credit",
        transcript: &[
            (
                Role::Customer,
                "Our Enterprise contract guarantees 99.9% monthly uptime. The outage on 3 March \
                 lasted 2h40m. We'd like to claim the SLA credit.",
            ),
            (
                Role::Bot,
                "I'm sorry for the disruption, Rebecca. You can see the incident report on our \
                 status page: https://status.example.com/incidents/2024-03-03",
            ),
            (
                Role::Customer,
                "We've seen it. Please process the credit per section 7.2 of our contract and \
                 confirm in writing.",
            ),
            (
                Role::Bot,
                "Of course. Since this concerns your contract, I'm escalating it to your account \
                 manager now.",
            ),
        ],
        follow_ups: &["Also, please share the root-cause analysis once it's final."],
        agent_replies: &[
            "Hi Rebecca, I'm sorry again about 3 March. 2h40m of downtime puts March at 99.64% \
             uptime, below the 99.9% commitment.",
            "Under section 7.2 that's a 10% service credit for the month — $1,750, which will \
             appear on your next invoice. Written confirmation is attached, and the final RCA \
             follows by Friday.",
        ],
    },
    // Annual billing
    Scenario {
        channel: "email",
        customer_name: "李娜",
        email: Some("li.na@example.com"),
        phone: None,
        vip: false,
        account_value: Some(2388),
        reason: HandoffReason::Workflow,
        trigger: "workflow: invoice terms question",
        priority: Priority::Normal,
        summary: None,
        topic: "Annual billing",
        transcript: &[
            (
                Role::Customer,
                "Hello, do you offer yearly pricing? Our finance team prefers to pay one invoice \
                 per year by bank transfer instead of monthly card payments.",
            ),
            (
                Role::Bot,
                "Hi Li Na! Annual plans are available, see https://example.com/pricing. Payment by \
                 bank transfer is available on some plans.",
            ),
            (
                Role::Customer,
                "We are on Business plan. Please confirm: annual price, and can we pay by bank \
                 transfer with 30 days payment terms?",
            ),
            (
                Role::Bot,
                "Payment terms are handled by our billing team. I've forwarded your request and a \
                 colleague will reply here.",
            ),
        ],
        follow_ups: &["谢谢! Also, please send the invoice in USD."],
        agent_replies: &[
            "Hello Li Na, thank you for waiting! Annual billing on Business is $1,990/year instead \
             of $2,388 — that's 2 months free, about 17% off.",
            "Annual invoices can be paid by bank transfer with 30-day terms, in USD. I've switched \
             your workspace to annual billing and credited the unused days of this month pro rata.",
            "If you need to change it later, it's under Settings → Billing → Plan.",
        ],
    },
    // Account locked
    Scenario {
        channel: "email",
        customer_name: "Mehmet Yılmaz",
        email: Some("mehmet.yilmaz@example.com"),
        phone: None,
        vip: false,
        account_value: Some(228),
        reason: HandoffReason::Workflow,
        trigger: "workflow: account locked",
        priority: Priority::Normal,
        summary: Some("Account locked after failed logins he didn't make; has client demo at 2pm."),
        topic: "Account locked",
        transcript: &[
            (
                Role::Customer,
                "My account says 'Locked after too many failed attempts. Try again in 24 hours.' I \
                 can't wait 24 hours, I have a client demo at 2pm.",
            ),
            (
                Role::Bot,
                "For your security, accounts are locked for 24 hours after 10 failed login \
                 attempts. More here: https://help.example.com/security/lockout",
            ),
            (Role::Customer, "I didn't even try 10 times. Could someone else be trying to get in?"),
            (
                Role::Bot,
                "That's worth looking into. Lockouts with possible suspicious activity are \
                 reviewed by our security team — I'm handing this over now.",
            ),
        ],
        follow_ups: &["I use mehmet.yilmaz@example.com to log in."],
        agent_replies: &[
            "Hi Mehmet, you were right to be suspicious: we saw 14 failed attempts from an IP \
             address you've never used before.",
            "I've unlocked your account and signed out all other sessions. Please set a new \
             password and turn on two-factor authentication in Settings → Security — you're all \
             set for your 2pm demo.",
        ],
    },
    // Callback request
    Scenario {
        channel: "web",
        customer_name: "Hiroshi Sato",
        email: Some("hiroshi.sato@example.com"),
        phone: Some("+1-555-0143"),
        vip: false,
        account_value: None,
        reason: HandoffReason::Workflow,
        trigger: "workflow: callback requested",
        priority: Priority::Normal,
        summary: Some(
            "Prospect (15 agents) wants a phone call about migrating; call +1-555-0143 after 3pm \
             ET.",
        ),
        topic: "Callback request",
        transcript: &[
            (
                Role::Customer,
                "Hi, I'd rather discuss this by phone. We're considering moving our support team \
                 of 15 to your Business plan and I have questions about migrating from our current \
                 tool.",
            ),
            (
                Role::Bot,
                "Happy to help, Hiroshi! You can find our migration guides here: \
                 https://help.example.com/migrate",
            ),
            (
                Role::Customer,
                "I'd still prefer a call. Can someone call me at +1-555-0143, ideally after 3pm \
                 Eastern?",
            ),
            (Role::Bot, "Sure. I've requested a callback for you and a colleague will confirm the time."),
        ],
        follow_ups: &["Tomorrow works too, any time after 3pm Eastern."],
        agent_replies: &[
            "Hi Hiroshi, thanks for reaching out! I've booked a call for tomorrow at 3:30pm \
             Eastern on +1-555-0143 — you'll get a calendar invite by email.",
            "If you can export a sample of your current data before the call, we'll show you \
             exactly how the migration would look.",
        ],
    },
    // Customs fees
    Scenario {
        channel: "messenger",
        customer_name: "Emily Clarke",
        email: None,
        phone: None,
        vip: false,
        account_value: None,
        reason: HandoffReason::Sentiment,
        trigger: "said: Nobody told me about £38 in customs fees, I'm furious",
        priority: Priority::High,
        summary: Some("Charged £38.20 import fees on order #A-32240 though checkout said duties included."),
        topic: "Customs fees",
        transcript: &[
            (
                Role::Customer,
                "Just got a card from the courier saying I owe £38.20 in import fees before \
                 they'll deliver my order #A-32240.",
            ),
            (
                Role::Bot,
                "Hi Emily! International orders may be subject to import duties and taxes. You can \
                 read more here: https://help.example.com/shipping/customs",
            ),
            (Role::Customer, "Your checkout said 'duties included'. I have a screenshot."),
            (Role::Bot, "Thanks. Could you share the order number?"),
            (Role::Customer, "#A-32240, I already said. Nobody told me about £38 in customs fees, I'm furious."),
            (
                Role::Bot,
                "I'm sorry — that shouldn't happen when duties are included. I'm bringing in a \
                 human expert now.",
            ),
        ],
        follow_ups: &["Should I pay it and get reimbursed, or refuse the delivery?"],
        agent_replies: &[
            "Hi Emily, you're absolutely right — UK orders are meant to ship duties-paid, and the \
             carrier billed you by mistake.",
            "Please go ahead and pay the £38.20 so you get your parcel; I've already refunded the \
             same amount to your card, so you're not out of pocket.",
        ],
    },
    // Annual billing
    Scenario {
        channel: "web",
        customer_name: "Liam O'Connor",
        email: Some("liam.oconnor@example.com"),
        phone: None,
        vip: false,
        account_value: Some(228),
        reason: HandoffReason::ExplicitRequest,
        trigger: "customer typed 'agent'",
        priority: Priority::Low,
        summary: Some("Asks for the monthly vs. yearly price difference on Starter."),
        topic: "Annual billing",
        transcript: &[
            (Role::Customer, "whats the price diff between monthly and yearly for starter"),
            (
                Role::Bot,
                "Starter is our entry plan, great for small teams! Would you like to start a free \
                 trial?",
            ),
            (Role::Customer, "no i already have it. monthly vs yearly price??"),
            (
                Role::Bot,
                "I'm not sure I understood. You can find all prices here: \
                 https://example.com/pricing",
            ),
            (Role::Customer, "agent"),
            (Role::Bot, "Got it — I'm connecting you with a human expert now."),
        ],
        follow_ups: &["the pricing page only shows the monthly number on mobile fyi"],
        agent_replies: &[
            "Hi Liam! Starter is $19/month, or $190/year if you pay annually — that's 2 months \
             free, about 17% cheaper.",
            "You can switch anytime under Settings → Billing → Plan, and whatever's left of your \
             current month is credited pro rata. Thanks for the heads-up about the mobile pricing \
             page, I've passed it on!",
        ],
    },
    // Cancellation
    Scenario {
        channel: "messenger",
        customer_name: "Laura García",
        email: None,
        phone: None,
        vip: false,
        account_value: Some(228),
        reason: HandoffReason::ExplicitRequest,
        trigger: "asked: Just let me talk to someone who can cancel it",
        priority: Priority::Normal,
        summary: Some("Wants to cancel Starter subscription (too expensive); declined retention offers."),
        topic: "Cancellation",
        transcript: &[
            (Role::Customer, "I want to cancel my subscription. It's too expensive for what I use."),
            (
                Role::Bot,
                "I'm sorry to hear that! Did you know you can pause your subscription for up to 3 \
                 months instead? https://help.example.com/billing/pause",
            ),
            (Role::Customer, "No, I want to cancel."),
            (Role::Bot, "Before you go, we'd love to offer you 30% off your next 3 months!"),
            (Role::Customer, "Just let me talk to someone who can cancel it."),
            (Role::Bot, "Understood. I'm connecting you with a human expert now."),
        ],
        follow_ups: &["Please make sure I'm not charged again on the 15th."],
        agent_replies: &[
            "Hi Laura, no problem at all — I've cancelled your Starter subscription, and you won't \
             be charged on the 15th.",
            "You keep access until the end of the period you've paid for, and you can export your \
             data anytime before then under Settings → Data.",
        ],
    },
    // Refund
    Scenario {
        channel: "messenger",
        customer_name: "Olivia Bennett",
        email: Some("olivia.bennett@example.com"),
        phone: None,
        vip: true,
        account_value: Some(120_000),
        reason: HandoffReason::Vip,
        trigger: "VIP account (ARR $120,000)",
        priority: Priority::Urgent,
        summary: Some("VIP (ARR $120,000) wants the unused $2,400 onboarding package refunded."),
        topic: "Refund",
        transcript: &[
            (
                Role::Customer,
                "Hi, we bought the $2,400 onboarding & training package in January and the \
                 sessions were never scheduled.",
            ),
            (
                Role::Bot,
                "Hi Olivia! Training sessions can be booked here: \
                 https://example.com/training/book",
            ),
            (
                Role::Customer,
                "We don't want to book them anymore, our team got trained internally. We want the \
                 $2,400 refunded.",
            ),
            (
                Role::Bot,
                "I understand. As one of our key accounts, I'm getting your account manager \
                 involved right away.",
            ),
        ],
        follow_ups: &["The invoice was INV-2024-0044.", "Our finance team needs this closed before month end."],
        agent_replies: &[
            "Hi Olivia, thanks for explaining — and sorry nobody reached out to schedule the \
             sessions. That's on us.",
            "I've refunded the full $2,400 for INV-2024-0044; the credit note is in your inbox and \
             the money will be back before month end.",
            "If your team ever wants an advanced session later, it's on the house.",
        ],
    },
    // Cancellation
    Scenario {
        channel: "web",
        customer_name: "Oluwaseun Adeyemi",
        email: Some("seun.adeyemi@example.com"),
        phone: None,
        vip: false,
        account_value: Some(588),
        reason: HandoffReason::Sentiment,
        trigger: "said: I've tried to cancel 3 times and you keep charging me",
        priority: Priority::Urgent,
        summary: Some("Cancelled 3 times since 12 January but still charged $49.00/month."),
        topic: "Cancellation",
        transcript: &[
            (
                Role::Customer,
                "I've tried to cancel 3 times and you keep charging me. Another $49.00 went out \
                 this morning.",
            ),
            (
                Role::Bot,
                "I'm sorry for the trouble! You can cancel anytime in Settings → Billing → Cancel \
                 subscription.",
            ),
            (Role::Customer, "THAT'S WHAT I DID. Three times. I have the confirmation emails."),
            (
                Role::Bot,
                "I understand. Could you forward one of the confirmation emails to \
                 support@example.com?",
            ),
            (Role::Customer, "No. Fix it."),
            (Role::Bot, "I'm really sorry. I'm connecting you with a human expert now."),
        ],
        follow_ups: &[
            "And I want every charge after my first cancellation refunded.",
            "First cancellation was 12 January.",
        ],
        agent_replies: &[
            "Hi Oluwaseun, I'm truly sorry. Your cancellations were recorded, but a bug \
             re-activated the subscription at renewal — you did everything right.",
            "I've cancelled it for good and refunded every charge since 12 January: 2 × $49.00 = \
             $98.00, back on your card in 3–5 business days. You won't be charged again.",
        ],
    },
    // Annual billing
    Scenario {
        channel: "whatsapp",
        customer_name: "Fatima Al-Sayed",
        email: Some("fatima.alsayed@example.com"),
        phone: Some("+1-555-0162"),
        vip: false,
        account_value: Some(588),
        reason: HandoffReason::Workflow,
        trigger: "workflow: plan change mid-cycle",
        priority: Priority::Normal,
        summary: Some("Thought she bought annual Pro; billed monthly twice, wants payments credited."),
        topic: "Annual billing",
        transcript: &[
            (
                Role::Customer,
                "Hi, I thought I signed up for the annual Pro plan but I've been charged $49.00 \
                 monthly for two months now.",
            ),
            (Role::Bot, "Let me check. Could you share the email address on your account?"),
            (Role::Customer, "fatima.alsayed@example.com"),
            (
                Role::Bot,
                "Thanks! I can see an active Pro subscription billed monthly. Would you like to \
                 switch to annual billing?",
            ),
            (
                Role::Customer,
                "Yes, but I want the two monthly payments to count towards it, otherwise I paid \
                 extra.",
            ),
            (
                Role::Bot,
                "Plan changes that involve credits need a teammate to review. I'm passing this to \
                 our billing team now.",
            ),
        ],
        follow_ups: &["Just to be clear, I don't want to be charged the full year on top of what I paid."],
        agent_replies: &[
            "Hi Fatima, thanks for flagging this! Annual billing is 2 months free — $490/year \
             instead of $588, about 17% off.",
            "I've switched you to annual and, since you meant to pick annual from the start, \
             credited both monthly payments ($98.00), so your first annual invoice is $392.00.",
            "In the future you can change billing periods yourself under Settings → Billing → \
             Plan; normally the unused part of the current month is credited pro rata.",
        ],
    },
    // 2FA reset
    Scenario {
        channel: "web",
        customer_name: "Ayaka Tanaka",
        email: Some("ayaka.tanaka@example.com"),
        phone: Some("+1-555-0176"),
        vip: true,
        account_value: Some(64_000),
        reason: HandoffReason::Vip,
        trigger: "VIP account (ARR $64,000)",
        priority: Priority::Urgent,
        summary: Some("VIP sole admin locked out after security key firmware update; 40 users blocked."),
        topic: "2FA reset",
        transcript: &[
            (
                Role::Customer,
                "I'm the only admin on our workspace and my security key stopped working after a \
                 firmware update. I can't log in.",
            ),
            (
                Role::Bot,
                "Sorry about that! You can sign in with a backup method, such as an authenticator \
                 app or a backup code.",
            ),
            (
                Role::Customer,
                "The security key was our only method, company policy. 40 people on my team are \
                 waiting for me to approve their access.",
            ),
            (
                Role::Bot,
                "Understood, Ayaka. Because you're a priority account, I'm escalating this to a \
                 senior support engineer right away.",
            ),
        ],
        follow_ups: &["Our IT can join a call to verify me if needed: +1-555-0176"],
        agent_replies: &[
            "Hi Ayaka, thanks for getting IT on the call — identity verified. I've sent a one-time \
             login link to your admin email, valid for 15 minutes.",
            "Once you're in, please register the updated security key under Settings → Security, \
             and consider adding a second admin so this can't block your team again.",
        ],
    },
    // GDPR data export
    Scenario {
        channel: "email",
        customer_name: "Martina Horvat",
        email: Some("martina.horvat@example.com"),
        phone: None,
        vip: false,
        account_value: Some(588),
        reason: HandoffReason::Workflow,
        trigger: "workflow: GDPR request",
        priority: Priority::Normal,
        summary: None,
        topic: "GDPR data export",
        transcript: &[
            (
                Role::Customer,
                "Under Article 15 GDPR I request a copy of all personal data you hold about me, \
                 including chat transcripts and any data received from third parties.",
            ),
            (
                Role::Bot,
                "Hi Martina! You can export your account data yourself in Settings → Privacy → \
                 Export data: https://help.example.com/privacy/export",
            ),
            (
                Role::Customer,
                "That export only contains my profile and conversations. I want everything, \
                 including logs and data shared with processors.",
            ),
            (
                Role::Bot,
                "Thank you. Data subject requests are handled by our privacy team, who will \
                 respond within the legal deadline. I've forwarded your request.",
            ),
        ],
        follow_ups: &["Please confirm receipt of this request in writing."],
        agent_replies: &[
            "Dear Martina, we confirm receipt of your Article 15 request; we'll respond well \
             within the one-month deadline.",
            "Your full export — profile, conversations, access logs and the list of processors we \
             share data with — is ready at the secure link we just emailed you. It's valid for 7 \
             days.",
        ],
    },
    // GDPR deletion
    Scenario {
        channel: "web",
        customer_name: "Tariq Hassan",
        email: Some("tariq.hassan@example.net"),
        phone: None,
        vip: false,
        account_value: None,
        reason: HandoffReason::ExplicitRequest,
        trigger: "asked: I need a person to confirm this in writing",
        priority: Priority::Normal,
        summary: Some("Wants full deletion incl. mailing list (GDPR erasure), confirmed in writing."),
        topic: "GDPR deletion",
        transcript: &[
            (Role::Customer, "Please delete my account and all my data. I don't want anything kept."),
            (
                Role::Bot,
                "I'm sorry to see you go! You can delete your account in Settings → Account → \
                 Delete account.",
            ),
            (
                Role::Customer,
                "I did that, but I got a newsletter email yesterday. So clearly you still have my \
                 email.",
            ),
            (
                Role::Bot,
                "Newsletter subscriptions are managed separately. You can unsubscribe using the \
                 link at the bottom of any email.",
            ),
            (
                Role::Customer,
                "I need a person to confirm this in writing. Everything deleted, including the \
                 mailing list.",
            ),
            (Role::Bot, "Understood — I'm connecting you with a member of our privacy team."),
        ],
        follow_ups: &["Email was tariq.hassan@example.net"],
        agent_replies: &[
            "Hi Tariq, you're right, and I apologise — the newsletter list is synced separately \
             and wasn't cleaned up when you deleted your account.",
            "I've removed tariq.hassan@example.net from every list and confirmed deletion across \
             all systems; written confirmation is on its way by email. Backups roll off within 30 \
             days.",
        ],
    },
    // Annual billing
    Scenario {
        channel: "web",
        customer_name: "Chloé Dubois",
        email: Some("chloe.dubois@example.com"),
        phone: None,
        vip: true,
        account_value: Some(19_104),
        reason: HandoffReason::Other,
        trigger: "low bot confidence (0.31)",
        priority: Priority::Normal,
        summary: Some("Agency with 8 Business workspaces asks about a 12-month commitment discount."),
        topic: "Annual billing",
        transcript: &[
            (
                Role::Customer,
                "Bonjour, any discount if we commit to 12 months? We're an agency and run 8 client \
                 workspaces on Business.",
            ),
            (
                Role::Bot,
                "Bonjour Chloé! We have a partner programme for agencies. Would you like to learn \
                 more? https://example.com/partners",
            ),
            (
                Role::Customer,
                "Maybe later. Right now I just want to know if paying for a year upfront is \
                 cheaper, per workspace.",
            ),
            (
                Role::Bot,
                "I'm not completely sure about that one, and I'd rather not guess. Let me bring in \
                 a colleague.",
            ),
        ],
        follow_ups: &["If it's easier we can keep the workspaces on separate invoices, one per client."],
        agent_replies: &[
            "Bonjour Chloé! Yes — annual billing is 2 months free per workspace, so each Business \
             workspace is $1,990/year instead of $2,388 (about 17% off).",
            "You can switch each one under Settings → Billing → Plan and keep separate invoices \
             per client; the unused days of the current month are credited pro rata on each.",
            "Since you manage 8 workspaces, I've also asked our partner team to reach out — the \
             agency programme can stack on top of this.",
        ],
    },
    // API rate limits
    Scenario {
        channel: "web",
        customer_name: "Maya Patel",
        email: Some("maya.patel@example.com"),
        phone: None,
        vip: true,
        account_value: Some(36_000),
        reason: HandoffReason::Vip,
        trigger: "VIP account (ARR $36,000)",
        priority: Priority::High,
        summary: Some("VIP nightly sync hitting 429s on /v2/conversations at ~400 req/min."),
        topic: "API rate limits",
        transcript: &[
            (
                Role::Customer,
                "Our nightly sync is getting 429 Too Many Requests from /v2/conversations since \
                 Tuesday. We haven't changed anything.",
            ),
            (
                Role::Bot,
                "Hi Maya! The API allows 600 requests per minute on your plan. You can read about \
                 rate limits here: https://developers.example.com/rate-limits",
            ),
            (
                Role::Customer,
                "We're at around 400/min according to our logs, and we respect Retry-After. Still \
                 getting 429s.",
            ),
            (
                Role::Bot,
                "Thanks for the details. As a priority account, I'm escalating this to an API \
                 specialist right away.",
            ),
        ],
        follow_ups: &["Sample request ID: req_8f2c91ab. Happy to share more logs."],
        agent_replies: &[
            "Hi Maya, thanks for the request ID — it made this quick. A change on Tuesday started \
             counting webhook retries against the same limit, which pushed you over 600/min.",
            "I've raised your limit to 1,200 requests per minute and our engineers are rolling \
             back the counting change. Tonight's sync should run clean.",
        ],
    },
    // API rate limits
    Scenario {
        channel: "web",
        customer_name: "Lucas Martin",
        email: Some("lucas.martin@example.com"),
        phone: None,
        vip: false,
        account_value: Some(228),
        reason: HandoffReason::Sentiment,
        trigger: "said: Your API is unusable, we're losing orders",
        priority: Priority::Urgent,
        summary: Some("Starter plan 60 req/min API limit dropping checkout messages during a sale."),
        topic: "API rate limits",
        transcript: &[
            (
                Role::Customer,
                "Your API keeps returning 429 errors and our checkout integration is dropping \
                 messages.",
            ),
            (
                Role::Bot,
                "Sorry about that! Starter includes 60 API requests per minute. You can find best \
                 practices here: https://developers.example.com/rate-limits",
            ),
            (
                Role::Customer,
                "60 a minute?? We get more orders than that during a sale. Nobody told us that \
                 when we signed up.",
            ),
            (
                Role::Bot,
                "Higher limits are available on the Pro and Business plans. Would you like to \
                 compare plans?",
            ),
            (
                Role::Customer,
                "Your API is unusable, we're losing orders. I don't want a sales pitch, I want it \
                 to work today.",
            ),
            (Role::Bot, "I hear you, and I'm sorry. I'm connecting you with a human expert now."),
        ],
        follow_ups: &["Sale ends at midnight."],
        agent_replies: &[
            "Hi Lucas, sorry about the timing. I've given your workspace a temporary limit of 600 \
             requests per minute for the next 7 days, free of charge, so your sale runs without \
             drops.",
            "Longer term, batching through /v2/messages:batch cuts your request count about 10x — \
             I've emailed you a short example. If you still need more after that, we can talk \
             plans, no pressure.",
        ],
    },
];
