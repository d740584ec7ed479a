// The server's answer rules (checklists/answers.py::answer_problems), on the phone, so that a shopper
// sees what is missing before submitting. The server stays the authority; the shared table of cases
// (tests/fixtures/validation_cases.json) holds both to the same results, message for message.
// Problems are {code, en, params}: `en` is the server's own English wording; the screen words them
// in the shopper's language from `code` and `params`.

const ANSWER_FIELDS = new Set(["value", "na", "comment", "attachments"]);
const SHA256 = /^[0-9a-f]{64}$/;
export const MAX_TEXT = 4000;
const BANDED_TYPES = new Set(["seconds", "minutes", "number"]);
const NOT_AN_OBJECT = "must be an object with 'value', 'na', 'comment' or 'attachments'";

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const isNumber = (value) => typeof value === "number" && Number.isFinite(value);
const length = (text) => [...text].length; // code points, as Python counts them
// Python's truth value, for the one rule that reads a malformed 'na' as the server does.
const truthy = (value) => (Array.isArray(value) ? value.length > 0
  : isObject(value) ? Object.keys(value).length > 0 : Boolean(value));

/** Python's `{x:g}` for the limits a checklist uses. */
export function formatG(x) {
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  return String(Number(x.toPrecision(6)));
}

const problem = (code, en, params = {}) => ({ code, en, params });

/** Items in checklist order, each with its section key. */
export function itemsOf(checklist) {
  const items = new Map();
  for (const section of checklist.sections) {
    for (const item of section.items) items.set(item.key, { ...item, section: section.key });
  }
  return items;
}

/** The value an answer gives: null when N/A or without a value. */
function answerValue(answer) {
  if (answer.na === true) return null;
  return answer.value === undefined ? null : answer.value;
}

function showIfMatches(condition, value) {
  const values = "in" in condition ? condition.in : [condition.equals];
  return values.includes(value);
}

/** The value (null if unanswered or N/A) of every item shown, in checklist order: the one show_if rule.
 * An item is shown when its controlling item is shown and answered with a listed value. */
export function visibleAnswers(checklist, answers, items = itemsOf(checklist)) {
  const shown = new Map();
  for (const [key, item] of items) {
    const condition = item.show_if;
    if (condition) {
      const controller = shown.get(condition.item);
      if (controller === undefined || controller === null || !showIfMatches(condition, controller)) continue;
    }
    const answer = answers[key];
    shown.set(key, answer === undefined ? null : isObject(answer) ? answerValue(answer) : null);
  }
  return shown;
}

export function valueProblem(item, value) {
  const kind = item.type;
  if (kind === "yes_no") {
    return value === "yes" || value === "no" ? null : problem("yes_no", 'must be "yes" or "no"');
  }
  if (kind === "scale") {
    const max = item.max ?? 5;
    if (!Number.isInteger(value) || value < 1 || value > max) {
      return problem("scale", `must be a whole number from 1 to ${formatG(max)}`, { max });
    }
    return null;
  }
  if (BANDED_TYPES.has(kind)) {
    if (!isNumber(value)) return problem("number", "must be a number");
    if (item.min != null && value < item.min) {
      return problem("min", `must be at least ${formatG(item.min)}`, { min: item.min });
    }
    if (item.max != null && value > item.max) {
      return problem("max", `must be at most ${formatG(item.max)}`, { max: item.max });
    }
    return null;
  }
  if (kind === "choice") {
    const keys = item.options.map((o) => o.key);
    return keys.includes(value) ? null : problem("choice", `must be one of ${keys.join(", ")}`, { keys });
  }
  if (kind === "text") {
    if (typeof value !== "string" || length(value) > MAX_TEXT) {
      return problem("text", `must be text of at most ${MAX_TEXT} characters`, { max: MAX_TEXT });
    }
    return null;
  }
  return problem("photo_value", "photo items carry attachments only, no value");
}

function itemProblems(item, answer, known) {
  if (!isObject(answer)) return [problem("not_object", NOT_AN_OBJECT)];
  const found = [];
  for (const name of Object.keys(answer)) {
    if (!ANSWER_FIELDS.has(name)) found.push(problem("unknown_field", `unknown field '${name}'`, { name }));
  }
  const na = "na" in answer ? answer.na : false;
  if (typeof na !== "boolean") {
    found.push(problem("na_type", "'na' must be true or false"));
  } else if (na) {
    if (!item.na_allowed) found.push(problem("na_not_allowed", "N/A is not allowed for this item"));
    if (answer.value !== undefined && answer.value !== null) {
      found.push(problem("value_and_na", "give either a value or N/A, not both"));
    }
  }
  if ("value" in answer && !truthy(na)) {
    const bad = valueProblem(item, answer.value);
    if (bad) found.push(bad);
  }
  const comment = answer.comment;
  if (comment !== undefined && comment !== null && (typeof comment !== "string" || length(comment) > MAX_TEXT)) {
    found.push(problem("comment", `'comment' must be text of at most ${MAX_TEXT} characters`, { max: MAX_TEXT }));
  }
  const attachments = "attachments" in answer ? answer.attachments : [];
  if (!Array.isArray(attachments) || !attachments.every((h) => typeof h === "string" && SHA256.test(h))) {
    found.push(problem("attachments", "'attachments' must be a list of lowercase hex SHA-256 hashes"));
  } else if (known) {
    const missing = attachments.filter((h) => !known.has(h));
    if (missing.length) {
      found.push(problem("not_uploaded", `attachment not uploaded: ${missing.join(", ")}`, { missing }));
    }
  }
  return found;
}

/** Problems by item key ("_answers" for the whole), as the server finds them. `complete` adds the
 * rules of a final submit; `known` (a Set of hashes, or null) checks that cited files were uploaded. */
export function answerProblems(checklist, answers, { complete, known = null } = {}) {
  if (!isObject(answers)) return { _answers: [problem("answers", "answers must be an object keyed by item")] };
  const items = itemsOf(checklist);
  const problems = {};
  for (const [key, answer] of Object.entries(answers)) {
    const item = items.get(key);
    if (!item) {
      problems[key] = [problem("unknown_item", `unknown item for ${checklist.key} v${checklist.version}`)];
      continue;
    }
    const found = itemProblems(item, answer, known);
    if (found.length) problems[key] = found;
  }
  if (complete) {
    // An answer already refused counts as unanswered for show_if, as on the server.
    const usable = Object.fromEntries(Object.entries(answers).filter(([k]) => !(k in problems)));
    for (const key of visibleAnswers(checklist, usable, items).keys()) {
      if (key in problems) continue;
      const item = items.get(key);
      const answer = answers[key] || {};
      const answered = answer.na === true || "value" in answer
        || (item.type === "photo" && Array.isArray(answer.attachments) && answer.attachments.length > 0);
      const hasFiles = Array.isArray(answer.attachments) && answer.attachments.length > 0;
      if (item.required && !answered) {
        problems[key] = [item.na_allowed ? problem("required_or_na", "required: answer it or mark it N/A")
          : problem("required", "required")];
      } else if (item.evidence === "required" && answered && answer.na !== true && !hasFiles) {
        problems[key] = [problem("evidence", "evidence required: attach a photo or receipt")];
      }
    }
  }
  return problems;
}

/** The same problems with the server's English words only: what the parity test compares. */
export function problemTexts(problems) {
  return Object.fromEntries(Object.entries(problems).map(([k, list]) => [k, list.map((p) => p.en)]));
}
