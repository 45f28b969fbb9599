//! The kit of the admin's plain forms (the servers and carriers pages): text inputs, selects and
//! checkboxes with their label, hint and refusal wired for assistive technology (`for`/`id`,
//! `aria-describedby`, `aria-invalid`), the summary of a refused submission at the top of a form (each
//! refused field linked), and the submit button. A form names its fields through a [`FormNames`]; its
//! error type says what was refused through [`FormRefusal`].
//!
//! Markup and wiring only: knows nothing of what a form saves or of the rules behind a refusal.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::busy_button::BusyButton;

/// One refused value: the field (the form's field name) and the message naming it and the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// The field.
    pub field: String,
    /// The message.
    pub message: String,
}

/// Why a submission was refused, as the form shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Values broke rules: each refused field with its message.
    Fields(Vec<FieldProblem>),
    /// Refused as a whole (not allowed, failed): the message.
    Other(String),
}

/// A form error that can say what it refused.
pub trait FormRefusal {
    /// The refusal as the form shows it.
    fn refusal(&self) -> Refusal;
}

/// How a form names its fields on the page.
#[derive(Debug, Clone, Copy)]
pub struct FormNames {
    /// The prefix of input ids: `server` gives `server-ami-host` for `ami_host`.
    pub id_prefix: &'static str,
    /// What the form saves, for the refusal summary (`server`: "The server was not saved").
    pub noun: &'static str,
    /// A field's label, by field name.
    pub label_of: fn(&str) -> &'static str,
}

impl FormNames {
    /// The input id of `field`.
    pub fn id(&self, field: &str) -> String {
        format!("{}-{}", self.id_prefix, field.replace('_', "-"))
    }

    /// The label of `field`.
    pub fn label(&self, field: &str) -> &'static str {
        (self.label_of)(field)
    }
}

/// The refusal in an action's last result (`None` before the first submission and after a success).
pub fn refusal_of<E>(outcome: Signal<Option<Result<(), E>>>) -> Signal<Option<Refusal>>
where
    E: FormRefusal + Clone + Send + Sync + 'static,
{
    Signal::derive(move || outcome.get().and_then(Result::err).map(|e| e.refusal()))
}

/// The field refusals of a refusal.
pub fn problems_of(refusal: Signal<Option<Refusal>>) -> Signal<Vec<FieldProblem>> {
    Signal::derive(move || match refusal.get() {
        Some(Refusal::Fields(problems)) => problems,
        _ => Vec::new(),
    })
}

/// The `aria-describedby` of a field: its hint (when it has one), then its error (when there is one).
pub fn described_by(hint_id: Option<&str>, error_id: &str, has_error: bool) -> Option<String> {
    let ids: Vec<&str> = hint_id.into_iter().chain(has_error.then_some(error_id)).collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// The refusal of the last submission, at the top of the form: every refused field, linked to it, with
/// its label and message.
#[component]
pub fn FormOutcome(names: FormNames, refusal: Signal<Option<Refusal>>) -> impl IntoView {
    move || match refusal.get() {
        Some(Refusal::Fields(problems)) => Some(
            view! {
                <div role="alert" class="error form-alert">
                    <p>{format!("The {} was not saved. Correct these fields:", names.noun)}</p>
                    <ul>
                        {problems
                            .into_iter()
                            .map(|p| {
                                let href = format!("#{}", names.id(&p.field));
                                view! {
                                    <li>
                                        <a href=href>{names.label(&p.field)}</a>
                                        {format!(": {}", p.message)}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </div>
            }
            .into_any(),
        ),
        Some(Refusal::Other(e)) => Some(
            view! { <p role="alert" class="error form-alert">{format!("The {} was not saved: {e}", names.noun)}</p> }
                .into_any(),
        ),
        None => None,
    }
}

/// The submit button; shows that the form is being sent while it is (with JavaScript).
#[component]
pub fn SubmitButton(label: &'static str, busy: &'static str) -> impl IntoView {
    view! {
        <div class="form-actions">
            <BusyButton label=label.to_string() busy=busy.to_string() class="button primary".to_string() />
        </div>
    }
}

/// The message of `name`'s refusal, if it was refused.
pub fn error_of(problems: Signal<Vec<FieldProblem>>, name: &'static str) -> impl Fn() -> Option<String> + Copy {
    move || problems.get().into_iter().find(|p| p.field == name).map(|p| p.message)
}

/// A one-line input with its label, hint and refusal.
#[component]
pub fn TextField(
    names: FormNames,
    name: &'static str,
    value: String,
    problems: Signal<Vec<FieldProblem>>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(optional)] readonly: bool,
    #[prop(optional)] required: bool,
    #[prop(optional)] maxlength: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    let id = names.id(name);
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    let error = error_of(problems, name);
    let described = {
        let (hint_id, error_id) = (hint.map(|_| hint_id.clone()), error_id.clone());
        move || described_by(hint_id.as_deref(), &error_id, error().is_some())
    };
    view! {
        <div class="field form-field">
            <label for=id.clone()>{names.label(name)}</label>
            <input
                id=id
                name=name
                type=kind.unwrap_or("text")
                value=value
                readonly=readonly
                required=required
                maxlength=maxlength
                autocomplete=autocomplete.unwrap_or("off")
                spellcheck="false"
                aria-invalid=move || error().map(|_| "true")
                aria-describedby=described
            />
            {hint.map(|h| view! { <p class="form-hint" id=hint_id>{h}</p> })}
            {move || error().map(|e| view! { <p class="form-field-error" id=error_id.clone()>{e}</p> })}
        </div>
    }
}

/// A select with its label, hint and refusal. A stored value outside the options (written by another
/// tool) stays selectable, so saving other fields does not change it silently; the service refuses it
/// if it breaks a rule.
#[component]
pub fn SelectField(
    names: FormNames,
    name: &'static str,
    value: String,
    options: Vec<(String, String)>,
    problems: Signal<Vec<FieldProblem>>,
    hint: &'static str,
) -> impl IntoView {
    let id = names.id(name);
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    let error = error_of(problems, name);
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || described_by(Some(&hint_id), &error_id, error().is_some())
    };
    let mut options = options;
    if !value.is_empty() && !options.iter().any(|(v, _)| *v == value) {
        options.insert(0, (value.clone(), value.clone()));
    }
    view! {
        <div class="field form-field">
            <label for=id.clone()>{names.label(name)}</label>
            <select id=id name=name aria-describedby=described aria-invalid=move || error().map(|_| "true")>
                {options
                    .into_iter()
                    .map(|(v, text)| {
                        let selected = v == value;
                        view! {
                            <option value=v selected=selected>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <p class="form-hint" id=hint_id>{hint}</p>
            {move || error().map(|e| view! { <p class="form-field-error" id=error_id.clone()>{e}</p> })}
        </div>
    }
}

/// A Y/N setting as a checkbox (ticked sends `Y`; unticked sends nothing, stored as `N`).
#[component]
pub fn CheckField(names: FormNames, name: &'static str, checked: bool, hint: &'static str) -> impl IntoView {
    let id = names.id(name);
    let hint_id = format!("{id}-hint");
    view! {
        <div class="form-check">
            <input id=id.clone() name=name type="checkbox" value="Y" checked=checked aria-describedby=hint_id.clone() />
            <label for=id>{names.label(name)}</label>
            <p class="form-hint" id=hint_id>{hint}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_descriptions() {
        let names = FormNames { id_prefix: "server", noun: "server", label_of: |_| "AMI host" };
        assert_eq!(names.id("ami_host"), "server-ami-host");
        assert_eq!(names.label("ami_host"), "AMI host");
        assert_eq!(described_by(Some("h"), "e", true).as_deref(), Some("h e"));
        assert_eq!(described_by(Some("h"), "e", false).as_deref(), Some("h"));
        assert_eq!(described_by(None, "e", true).as_deref(), Some("e"));
        assert_eq!(described_by(None, "e", false), None);
    }
}
