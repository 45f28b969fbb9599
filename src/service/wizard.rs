//! The web admin's phone form use case (the wizard's "Create" and the edit form's "Save"): the web
//! admin's rules on top of the phone-entry rules (`domain::wizard::check_entry`, with the chosen
//! server's SIP stacks), secrets kept when an edit leaves them blank, a generated registration password
//! for devices that do not register, weak passwords refused unless the user accepted them, then the
//! same add/update service calls as every entry point. Database refusals come back against their field
//! (a taken login names the phone that holds it). Knows nothing of HTTP or the UI.

use crate::domain::phone_entry::{Field, FieldError, PhoneEntryInput, ProtocolSet, Rule};
use crate::domain::wizard::{check_form, GENERATED_ALPHABET};
use crate::domain::{Protocol, SipStacks};
use crate::service::phones::{self, PhoneError};
use crate::service::Actor;
use crate::storage::{servers, templates, Db};

/// The stored phone a form edits, by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneKey {
    /// Extension.
    pub extension: String,
    /// Server IP.
    pub server_ip: String,
}

/// Why a form was not saved.
#[derive(Debug)]
pub enum FormRefused {
    /// Field errors, in field order.
    Fields(Vec<FieldError>),
    /// Not a field's fault (the phone being edited is gone, the database failed): a message.
    Other(String),
}

/// The server's `allowed_sip_stacks`, for the SIP-stack rule (`None` for an unknown server: the
/// existence check reports it).
async fn sip_stacks(db: &Db, server_ip: &str) -> Result<Option<SipStacks>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    Ok(servers::sip_stacks(&mut conn, server_ip).await?.as_deref().map(SipStacks::from_stored))
}

/// A strong registration password: 20 characters of [`GENERATED_ALPHABET`] (letters and digits without
/// look-alikes).
pub fn new_registration_password() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..20).map(|_| char::from(GENERATED_ALPHABET[rng.random_range(0..GENERATED_ALPHABET.len())])).collect()
}

/// Saves a phone from the web form: adds it (`editing` is `None`: new phone or copy) or updates the
/// phone `editing`. In an edit, an empty login or registration password keeps the stored one. For a
/// device that does not register, an empty registration password gets a generated one (it is never
/// used, but the column must hold a valid value). A weak password typed is refused unless its field is
/// in `accept_weak` (the user ticked "Use this weak password anyway"). Returns the saved phone's key.
pub async fn save_phone(
    db: &Db,
    actor: &Actor,
    editing: Option<&PhoneKey>,
    mut input: PhoneEntryInput,
    accept_weak: &[Field],
) -> Result<PhoneKey, FormRefused> {
    let db_failed = |e: sqlx::Error| {
        tracing::error!("phone form: database error: {e}");
        FormRefused::Other("The database failed; nothing was saved. Try again.".into())
    };
    // Judged as typed: a password left blank in an edit keeps the stored one and is not judged.
    let mut accepted = accept_weak.to_vec();
    accepted.extend([Field::PhonePass, Field::RegistrationPassword].into_iter().filter(|f| input.get(*f).is_empty()));
    if let Some(key) = editing {
        let current =
            phones::find_phone(db, &key.extension, &key.server_ip).await.map_err(db_failed)?.ok_or_else(|| {
                FormRefused::Other(format!("Phone {} on server {} no longer exists.", key.extension, key.server_ip))
            })?;
        if input.phone_pass.is_empty() {
            input.phone_pass = current.pass;
        }
        if input.registration_password.is_empty() {
            input.registration_password = current.conf_secret;
        }
    }
    let registers = Protocol::parse(&input.protocol).is_none_or(Protocol::registers);
    if !registers && input.registration_password.is_empty() {
        input.registration_password = new_registration_password();
    }
    let stacks = sip_stacks(db, &input.server_ip).await.map_err(db_failed)?;
    let errors = check_form(&input, stacks, &accepted);
    if !errors.is_empty() {
        return Err(FormRefused::Fields(errors));
    }
    let saved = match editing {
        None => phones::add_phone_input(db, actor, &input, ProtocolSet::WebAdmin).await,
        Some(key) => {
            let new = input.clone();
            phones::update_phone(db, actor, &key.extension, &key.server_ip, |p| *p = new, "ADMIN MODIFY PHONE").await
        }
    };
    match saved {
        Ok(entry) => Ok(PhoneKey { extension: entry.extension, server_ip: entry.server_ip }),
        Err(PhoneError::LoginTaken(login)) => {
            let rule = match phones::phone_holding_login(db, &login).await.map_err(db_failed)? {
                Some((extension, server_ip)) => Rule::TakenByPhone { extension, server_ip },
                None => Rule::Taken("another phone".into()),
            };
            Err(FormRefused::Fields(vec![FieldError::new(Field::PhoneLogin, rule)]))
        }
        Err(e) => Err(refusal(e)),
    }
}

/// A service refusal against the field it concerns.
fn refusal(e: PhoneError) -> FormRefused {
    let field = |field, rule| FormRefused::Fields(vec![FieldError::new(field, rule)]);
    match e {
        PhoneError::Invalid(invalid) => FormRefused::Fields(invalid.errors),
        PhoneError::ServerNotFound(ip) => field(Field::ServerIp, Rule::Missing(format!("no server has the IP {ip}"))),
        PhoneError::ExtensionTaken { server_ip, .. } => {
            field(Field::Extension, Rule::Taken(format!("another phone on server {server_ip}")))
        }
        PhoneError::LoginTaken(_) => field(Field::PhoneLogin, Rule::Taken("another phone".into())),
        PhoneError::LoginIsAlias(_) => field(Field::PhoneLogin, Rule::Taken("a phone alias id".into())),
        PhoneError::TemplateNotFound(t) => field(Field::TemplateId, Rule::Missing(format!("no template {t}"))),
        PhoneError::NotFound { extension, server_ip } => {
            FormRefused::Other(format!("Phone {extension} on server {server_ip} no longer exists."))
        }
        PhoneError::Db(e) => {
            tracing::error!("phone form: database error: {e}");
            FormRefused::Other("The database failed; nothing was saved. Try again.".into())
        }
    }
}

/// Every conf template id, for the form's template choice.
pub async fn template_ids(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    templates::template_ids(&mut conn).await
}

/// Every server with its SIP stacks: (`server_ip`, `server_id`, `allowed_sip_stacks`).
pub async fn server_choices(db: &Db) -> Result<Vec<(String, String, SipStacks)>, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    let servers = servers::server_choices(&mut conn).await?;
    Ok(servers.into_iter().map(|(ip, id, stacks)| (ip, id, SipStacks::from_stored(&stacks))).collect())
}
