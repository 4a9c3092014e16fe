//! Integration tests: each one starts the real application on port 0 with a fresh SQLite
//! database and talks to it over HTTP, as a browser or an API client would.

mod addresses;
mod auth;
mod certified;
mod chaos;
mod cli;
mod concurrency;
mod documents;
mod drafts;
mod embed;
mod evidence;
mod free_form;
mod health;
mod helpers;
mod identity;
mod instances;
mod integrators;
mod isolation;
mod limits;
mod links;
mod metrics;
mod pages;
mod render_pool;
mod rest;
mod restart;
mod seal;
mod secrets;
mod signing;
mod smtp;
mod spec;
mod storage;
mod tags;
mod templates;
mod test_mode;
mod verify;
mod webhooks;
