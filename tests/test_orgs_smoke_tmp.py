def test_smoke(client, demo, auth):
    auth.login(demo.users["county_admin"])
    r = client.get("/orgs/")
    print(r.status_code, r.get_data(as_text=True)[-3000:])
    c1 = demo.orgs["committee1"]
    r = client.get(f"/orgs/{c1.id}/move")
    print(r.status_code, r.get_data(as_text=True)[-2500:])
    r = auth.post(f"/orgs/{demo.orgs['branch1'].id}/new", {"name": "x", "level": "committee"})
    print(r.status_code, r.get_data(as_text=True)[-2000:])
