// Mirrors app/src/testid.rs: the stable data-testid values the pages carry.
export const id = {
  signupForm: "signup-form",
  signupSubmit: "signup-submit",
  loginForm: "login-form",
  loginSubmit: "login-submit",
  loginError: "login-error",
  formError: "form-error",
  passwordToggle: "password-toggle",
  dashboard: "dashboard",
  dashboardEmpty: "dashboard-empty",
  currentUser: "current-user",
  logout: "logout",
  langSwitch: "lang-switch",
} as const;
export const tid = (name: keyof typeof id) => `[data-testid="${id[name]}"]`;
