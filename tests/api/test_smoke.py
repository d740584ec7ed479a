def test_assign_and_read_as_shopper(client, make_dealer, make_wave, make_user, make_checklist_version, auth_for):
    dealer, wave, shopper, qa = make_dealer(), make_wave(), make_user("shopper"), make_user("qa")
    version = make_checklist_version()
    r = client.post("/api/v1/audits", headers=auth_for(qa), json={
        "dealer_id": dealer.id, "wave_id": wave.id, "checklist": {"key": version.key, "version": version.version},
        "shopper_id": shopper.id, "visit_window_start": "2026-08-01", "visit_window_end": "2026-08-10"})
    assert r.status_code == 201, r.json
    audit_id = r.json["id"]
    r = client.get("/api/v1/audits", headers=auth_for(shopper))
    assert [a["id"] for a in r.json["items"]] == [audit_id]
    assert "shopper_id" not in r.json["items"][0]
    r = client.get(f"/api/v1/audits/{audit_id}", headers=auth_for(qa))
    assert r.json["shopper_id"] == shopper.id and r.json["answers"] == {}
