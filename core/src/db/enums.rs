//! How the shared model's enums are stored: as the text `as_str()` gives (which the
//! migrations' CHECK constraints list), read back strictly.

use crate::model::{EnvelopeStatus, FieldKind, Language, Mode, RecipientRole, SealStatus, SigningOrder, UserRole};

super::db_enum!(EnvelopeStatus, SealStatus, RecipientRole, FieldKind, SigningOrder, Mode, Language, UserRole);
