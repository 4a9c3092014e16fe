//! Stable `data-testid` values, shared by the pages and the end-to-end tests
//! (`end2end/tests/ids.ts` mirrors this list).

pub const SIGNUP_FORM: &str = "signup-form";
pub const SIGNUP_SUBMIT: &str = "signup-submit";
pub const LOGIN_FORM: &str = "login-form";
pub const LOGIN_SUBMIT: &str = "login-submit";
pub const LOGIN_ERROR: &str = "login-error";
pub const FORM_ERROR: &str = "form-error";
pub const PASSWORD_TOGGLE: &str = "password-toggle";
pub const DASHBOARD: &str = "dashboard";
pub const DASHBOARD_EMPTY: &str = "dashboard-empty";
pub const CURRENT_USER: &str = "current-user";
pub const LOGOUT: &str = "logout";
pub const LANG_SWITCH: &str = "lang-switch";
