//! What every page's frame needs: who is signed in, the navigation their roles allow, and
//! the CSRF token for forms.

use crate::access::SignedIn;
use harbour_domain::permission::{Action, authorize};

#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub display_name: Option<String>,
    pub nav: Vec<NavItem>,
    pub csrf_token: String,
    /// The navigation item to mark as current.
    pub current: &'static str,
    /// A warning for everyone who answers for the audit trail, on every page.
    pub audit_alarm: Option<String>,
    /// Leave out "Exit this page", which signed-out pages otherwise show: for pages whose
    /// content does not warrant it (community alerts about burglary, say).
    pub hide_exit: bool,
}

impl Chrome {
    pub fn signed_out() -> Chrome {
        Chrome::default()
    }

    pub fn for_signed_in(s: &SignedIn) -> Chrome {
        let roles = &s.session.roles;
        let may = |a| authorize(roles, a).is_ok();
        let mut nav = vec![NavItem {
            href: "/home",
            label: "Home",
        }];
        if may(Action::ViewReferrals) {
            nav.push(NavItem {
                href: "/referrals/queue",
                label: "Referral queue",
            });
        }
        if may(Action::ReceiveReferrals) {
            nav.push(NavItem {
                href: "/inbox",
                label: "Inbox",
            });
        }
        if may(Action::WorkCases) {
            nav.push(NavItem {
                href: "/cases",
                label: "Cases",
            });
        }
        if may(Action::ManageMarac) {
            nav.push(NavItem {
                href: "/marac",
                label: "MARAC",
            });
        }
        if may(Action::ReferOnward) {
            nav.push(NavItem {
                href: "/onward",
                label: "Referrals on",
            });
        }
        if may(Action::SubmitReferral) {
            nav.push(NavItem {
                href: "/referrals/mine",
                label: "Your referrals",
            });
        }
        if may(Action::ViewAgencies) {
            nav.push(NavItem {
                href: "/admin/agencies",
                label: "Agencies",
            });
        }
        if may(Action::ViewPeople) {
            nav.push(NavItem {
                href: "/admin/people",
                label: "People",
            });
        }
        if may(Action::ViewDirectory) {
            nav.push(NavItem {
                href: "/directory",
                label: "Directory",
            });
        }
        if may(Action::ViewCoverage) {
            nav.push(NavItem {
                href: "/coverage",
                label: "Coverage",
            });
        }
        if may(Action::SendAlerts) || may(Action::ApproveAlerts) {
            nav.push(NavItem {
                href: "/community-alerts",
                label: "Community alerts",
            });
        }
        if may(Action::ViewStatistics) {
            nav.push(NavItem {
                href: "/reports",
                label: "Reports",
            });
        }
        if may(Action::ViewAudit) {
            nav.push(NavItem {
                href: "/audit",
                label: "Audit trail",
            });
        }
        nav.push(NavItem {
            href: "/account",
            label: "Your account",
        });
        Chrome {
            display_name: Some(s.session.display_name.clone()),
            nav,
            csrf_token: s.session.csrf_token.clone(),
            current: "",
            audit_alarm: s.audit_alarm.as_deref().map(str::to_owned),
            hide_exit: false,
        }
    }

    pub fn current(mut self, href: &'static str) -> Chrome {
        self.current = href;
        self
    }

    /// Without "Exit this page" unless `warranted`.
    pub fn exit_only_if(mut self, warranted: bool) -> Chrome {
        self.hide_exit = !warranted;
        self
    }

    pub fn maybe(signed_in: Option<&SignedIn>) -> Chrome {
        signed_in.map_or_else(Chrome::signed_out, Chrome::for_signed_in)
    }
}
