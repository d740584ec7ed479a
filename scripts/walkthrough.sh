#!/usr/bin/env bash
# Walks one audit through the running API with curl, as the phone and the portals would:
# admin sets up a region, dealer, wave and users; QA assigns; the shopper drafts, uploads evidence and
# submits (twice, with the same Idempotency-Key); QA approves; the dealer reads the score, disputes an
# item, and QA upholds it.
#
#   auditapp serve &                      # in another terminal
#   bash scripts/walkthrough.sh ADMIN_EMAIL ADMIN_PASSWORD [BASE_URL]
set -euo pipefail
cd "$(dirname "$0")/.."
admin_email=$1 admin_password=$2 base=${3:-http://127.0.0.1:8000}/api/v1
run=$(date +%s)   # makes codes and emails unique, so the walk can be repeated
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, {'d': d}))" "$1"; }
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
api() { # METHOD PATH TOKEN [JSON] [extra curl args...]
  local method=$1 path=$2 token=$3 body=${4:-}; shift 4 || shift $#
  curl -sS -X "$method" "$base$path" -H "Authorization: Bearer $token" \
       ${body:+-H 'Content-Type: application/json' -d "$body"} "$@"
}
login() { curl -sS -X POST "$base/auth/token" -H 'Content-Type: application/json' \
          -d "{\"email\": \"$1\", \"password\": \"$2\"}" | json 'd["access_token"]'; }

say "admin logs in and sets up the program"
admin=$(login "$admin_email" "$admin_password")
region=$(api POST /regions "$admin" "{\"code\": \"EAST$run\", \"name_zh\": \"华东区\", \"name_en\": \"East\"}" | json 'd["id"]')
dealer=$(api POST /dealers "$admin" "{\"region_id\": $region, \"code\": \"SH$run\", \"name_zh\": \"上海浦东4S店\",
  \"name_en\": \"Shanghai Pudong\", \"latitude\": 31.2304, \"longitude\": 121.4737}" | json 'd["id"]')
wave_code="W$run"
wave=$(api POST /waves "$admin" "{\"code\": \"$wave_code\", \"title_zh\": \"演示期\", \"title_en\": \"Demo wave\",
  \"starts_on\": \"2026-01-01\", \"ends_on\": \"2026-12-31\"}" | json 'd["id"]')
for who in qa shopper; do
  api POST /users "$admin" "{\"email\": \"$who$run@example.com\", \"password\": \"walkthrough pw\", \"role\": \"$who\"}" >/dev/null
done
api POST /users "$admin" "{\"email\": \"gm$run@example.com\", \"password\": \"walkthrough pw\", \"role\": \"dealer\",
  \"dealer_id\": $dealer}" >/dev/null
qa=$(login "qa$run@example.com" "walkthrough pw")
shopper=$(login "shopper$run@example.com" "walkthrough pw")
gm=$(login "gm$run@example.com" "walkthrough pw")
shopper_id=$(api GET /me "$shopper" | json 'd["id"]')
echo "region $region, dealer $dealer, wave $wave_code, shopper $shopper_id"

say "QA assigns a sales visit"
today=$(date -u +%F)
audit=$(api POST /audits "$qa" "{\"dealer_id\": $dealer, \"wave_id\": $wave, \"shopper_id\": $shopper_id,
  \"checklist\": {\"key\": \"sales_visit\", \"version\": 1},
  \"visit_window_start\": \"$today\", \"visit_window_end\": \"$today\"}" | json 'd["id"]')
echo "audit $audit"

say "the shopper's phone: assignments, then a draft with If-Match"
etag=$(api GET /audits "$shopper" | json 'd["items"][0]["etag"]')
api PUT "/audits/$audit/answers" "$shopper" '{"answers": {"greeted": {"value": "yes"}}}' -H "If-Match: $etag" \
  -o /dev/null -w "draft saved: HTTP %{http_code}\n"
api PUT "/audits/$audit/answers" "$shopper" '{"answers": {"greeted": {"value": "no"}}}' -H "If-Match: $etag" \
  -o /dev/null -w "the same stale ETag from a second device: HTTP %{http_code}\n"

say "evidence: three photos, each uploaded with its SHA-256"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp" <<'PY'
import struct, sys, zlib
def png(tag):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00" + tag.encode()) + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
            + chunk(b"IEND", b""))
for i in range(3):
    open(f"{sys.argv[1]}/photo{i}.png", "wb").write(png(f"walkthrough {i} {sys.argv[1]}"))
PY
hashes=()
for i in 0 1 2; do
  sha=$(sha256sum "$tmp/photo$i.png" | cut -d' ' -f1)
  curl -sS -X POST "$base/audits/$audit/attachments" -H "Authorization: Bearer $shopper" \
       -F "sha256=$sha" -F "file=@$tmp/photo$i.png;type=image/png" -o /dev/null -w "photo $i: HTTP %{http_code}\n"
  hashes+=("$sha")
done

say "submit the sample visit (examples/sales_visit_answers.json) twice with one Idempotency-Key"
python3 - "$tmp/submit.json" "${hashes[@]}" <<'PY'
import json, sys
from datetime import datetime, timedelta, timezone
out, hashes = sys.argv[1], sys.argv[2:]
answers = json.load(open("examples/sales_visit_answers.json", encoding="utf-8"))["answers"]
photos = iter(hashes)
for answer in answers.values():
    if "attachments" in answer:
        answer["attachments"] = [next(photos)]
end = datetime.now(timezone.utc) - timedelta(minutes=20)
visit = {"started_at": (end - timedelta(minutes=40)).isoformat(), "ended_at": end.isoformat(),
         "checkin": {"latitude": 31.2305, "longitude": 121.4736, "accuracy_m": 8},
         "device_time": datetime.now(timezone.utc).isoformat()}
json.dump({"answers": answers, "visit": visit}, open(out, "w", encoding="utf-8"), ensure_ascii=False)
PY
key=$(python3 -c 'import uuid; print(uuid.uuid4())')
for attempt in first retry; do
  curl -sS -X POST "$base/audits/$audit/submit" -H "Authorization: Bearer $shopper" -H "Idempotency-Key: $key" \
       -H 'Content-Type: application/json' --data-binary "@$tmp/submit.json" -o "$tmp/$attempt.json" \
       -w "$attempt: HTTP %{http_code}\n"
done
cmp -s "$tmp/first.json" "$tmp/retry.json" && echo "the retry got the same response; the audit was stored once"

say "QA: the review queue with its quality flags, then approve"
api GET "/audits?status=submitted" "$qa" | json '[(a["id"], [f["code"] for f in a["flags"]]) for a in d["items"]]'
api POST "/audits/$audit/approve" "$qa" '{}' | json '"status: " + d["status"]'

say "the dealer reads the score (no shopper in sight)"
api GET "/audits/$audit/score" "$gm" | json '"overall %.1f (before knock-outs %.1f), knock-outs: %s" % (d["overall"], d["overall_raw"], [k["item"] for k in d["knockouts"]])'
api GET "/dealers/$dealer/scorecard?wave=$wave_code" "$gm" | json '"worst gaps: " + ", ".join(g["item"] for g in d["gaps"][:5])'

say "the dealer disputes an item; QA upholds it; the score is revised (the shopper's answer stays)"
dispute=$(api POST "/audits/$audit/disputes" "$gm" '{"item": "business_card_given", "requested_outcome": "pass",
  "claim": "Our CRM shows a WeChat business card sent to the customer during the visit."}' | json 'd["id"]')
api POST "/disputes/$dispute/decision" "$qa" '{"outcome": "upheld", "reason": "The CRM log confirms the card."}' \
  | json '"dispute %d: %s, score version %s" % (d["id"], d["status"], d["score_version"])'
api GET "/audits/$audit/score" "$gm" | json '"overall %.1f (original %.1f), revised: %s" % (d["overall"], d["original_overall"], d["revised"])'
