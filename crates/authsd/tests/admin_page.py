"""The admin page, end to end, in headless Chromium driven by Playwright.

Run by crates/authsd/tests/admin_page.rs against a fresh server on each backend; by
hand: `python admin_page.py URL ADMIN_KEY` against a fresh server. Environment:
CHROMIUM (the browser, default /usr/bin/chromium), SCREENSHOTS (a folder: the main
views are saved there as PNG).

Everything is done as a person would: by label, role and keyboard, never by CSS
selector; the API is used only to set the scene and to check what the page wrote.
"""

import json
import os
import re
import sys
import urllib.request

from playwright.sync_api import expect, sync_playwright

URL, KEY = sys.argv[1], sys.argv[2]
SHOTS = os.environ.get("SCREENSHOTS")
SECRET = "s3cr3t-value-never-shown-9f2c"
expect.set_options(timeout=15_000)


def api(method, path, body=None, key=KEY):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + "/api/v5" + path, data=data, method=method)
    req.add_header("X-Api-Key", key)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as res:
        text = res.read().decode()
        return json.loads(text) if text else None


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


# The scene: two departments, 30 auths (paging at 25), one of them with a secret item.
ident = api("POST", "/catalog/departments", {"label": "Identity Team"})["id"]
finance = api("POST", "/catalog/departments", {"label": "Finance"})["id"]
secret = api("POST", "/catalog/items", {"key": "client_secret", "value": SECRET, "secret": True})["id"]
issuer = api("POST", "/catalog/items", {"key": "issuer", "value": "https://sso.example.org"})["id"]
made = api("POST", "/artifacts/auths/create", {"auths": [
    {"name": "Corporate SSO", "description": "Single sign-on for staff",
     "protocol_ids": ["protocol-oidc"], "department_ids": [ident], "item_ids": [issuer, secret]},
    *[{"name": f"Branch LDAP {i:02}", "protocol_ids": ["protocol-ldap"],
       "department_ids": [finance if i % 3 == 0 else ident]} for i in range(29)],
]})
assert all(r["success"] for r in made["results"]), made
corp = made["results"][0]["auth_id"]
viewer_key = api("POST", "/keys", {"name": "page-viewer", "role": "viewer"})["key"]
rival_key = api("POST", "/keys", {"name": "rival-editor", "role": "editor"})["key"]

problems = []
with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        args=["--no-sandbox", "--disable-dev-shm-usage"],
    )
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    page = context.new_page()
    # A script error or a blocked resource (the content security policy) fails the test.
    main = page.get_by_role("main")
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
            and problems.append(f"console: {m.text}"))

    # --- Sign in: a wrong key is refused, in words; the right one is kept in the tab.
    page.goto(URL + "/")
    key_field = page.get_by_label("API key")
    expect(key_field).to_be_focused()
    key_field.fill("auths_not-a-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("refused")
    # Signed out, the header offers nothing but the page's name.
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    shot(page, "sign-in")
    key_field.fill(KEY)
    key_field.press("Enter")
    expect(page.get_by_role("banner").get_by_text("Signed in as bootstrap-admin")).to_be_visible()
    assert context.cookies() == [], context.cookies()
    assert page.evaluate("sessionStorage.getItem('auths.api-key')") == KEY

    # --- Search, by keyboard: the box, Enter, the count, the first column links by name.
    search = page.get_by_label("Search", exact=True)
    expect(main.get_by_text("30 auths, 1–25 shown")).to_be_visible()
    search.fill("corporate")
    search.press("Enter")
    expect(main.get_by_text("1 auth", exact=True)).to_be_visible()
    rows = page.get_by_role("table", name="Matching auths").get_by_role("row")
    expect(rows).to_have_count(2)
    expect(rows.nth(1).get_by_role("link")).to_have_text("Corporate SSO")

    # --- The department facet: counts, and the filter it applies.
    search.fill("")
    search.press("Enter")
    finance_box = page.get_by_role("checkbox", name=re.compile("^Finance"))
    expect(finance_box).to_be_visible()
    assert finance_box.evaluate("e => e.labels[0].textContent").endswith("10"), "facet count"
    finance_box.check()
    expect(main.get_by_text("10 auths", exact=True)).to_be_visible()
    body_rows = page.get_by_role("table", name="Matching auths").locator("tbody tr")
    expect(body_rows).to_have_count(10)
    for text in body_rows.all_inner_texts():
        assert "Finance" in text, text
    shot(page, "search")
    finance_box.uncheck()

    # --- Paging: the second page holds the last five.
    expect(main.get_by_text("30 auths, 1–25 shown")).to_be_visible()
    page.get_by_role("link", name="Next").click()
    expect(main.get_by_text("Page 2 of 2")).to_be_visible()
    expect(body_rows).to_have_count(5)
    page.get_by_role("link", name="Previous").click()
    expect(main.get_by_text("Page 1 of 2")).to_be_visible()
    # A search after paging still goes into the address (bookmarks, Back).
    search.fill("branch")
    search.press("Enter")
    expect(main.get_by_text("29 auths, 1–25 shown")).to_be_visible()
    assert page.url.endswith("#/?q=branch"), page.url

    # --- Open an auth by keyboard: its form, every section labelled, no secret value.
    search.fill("corporate")
    search.press("Enter")
    link = page.get_by_role("link", name="Corporate SSO")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Corporate SSO")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Corporate SSO")
    expect(page.get_by_label("Description")).to_have_value("Single sign-on for staff")
    expect(page.get_by_label("Flag")).to_have_value("flag-active")
    expect(page.get_by_role("group", name="Protocols").get_by_role("checkbox", name="oidc")).to_be_checked()
    for legend in ["Slugs", "Items", "Departments", "Locations"]:
        expect(page.get_by_role("group", name=legend)).to_be_visible()
    items = page.get_by_role("group", name="Items")
    expect(items).to_contain_text("issuer = https://sso.example.org")
    expect(items).to_contain_text("client_secret = (secret")
    assert SECRET not in page.content()

    # --- Enter in a field never publishes; leaving with unsaved edits asks first.
    page.get_by_label("Name", exact=True).press("End")
    page.get_by_label("Name", exact=True).type(" X")
    page.get_by_label("Name", exact=True).press("Enter")
    expect(main.get_by_text("Unsaved changes")).to_be_visible()
    assert api("POST", "/artifacts/auths/get", {"auth_id": corp})["version"] == 1
    page.once("dialog", lambda d: d.dismiss())
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Corporate SSO X")
    page.get_by_label("Name", exact=True).fill("Corporate SSO")

    # --- Edit: a slug found by keyboard (and created, as it is new), a description;
    # saved as a draft, then published.
    page.get_by_label("Description").fill("Single sign-on for staff and partners")
    find = page.get_by_label("Find slugs")
    find.fill("corp-sso")
    create = page.get_by_role("button", name="Create slug “corp-sso”")
    expect(create).to_be_visible()
    find.press("ArrowDown")
    expect(create).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Slugs").get_by_role("list", name="Chosen slugs")).to_contain_text("corp-sso")
    page.get_by_role("button", name="Save draft").click()
    expect(main.get_by_text(re.compile("^Draft saved.*\\(draft version 1\\)\\.$"))).to_be_visible()
    assert "#/draft/" in page.url, page.url
    shot(page, "form")
    page.get_by_role("button", name="Publish").click()
    expect(main.get_by_text(re.compile("^Version 2"))).to_be_visible()
    got = api("POST", "/artifacts/auths/get", {"auth_id": corp})
    assert got["version"] == 2 and got["descriptions"]["value"]["label"].endswith("partners"), got
    assert [s["label"] for s in got["slugs"]["values"]] == ["corp-sso"], got

    # --- A conflict: a draft started from version 2, someone else publishes version 3
    # meanwhile, Publish says so with what they changed, and offers a new draft.
    page.get_by_label("Flag").select_option(label="disabled")
    page.get_by_role("button", name="Save draft").click()
    expect(main.get_by_text(re.compile("Draft saved"))).to_be_visible()
    rival = api("POST", "/artifacts/auths/update",
                {"auths": [{"auth_id": corp, "expected_version": 2, "description": "Changed by a rival"}]},
                key=rival_key)
    assert rival["results"][0]["version"] == 3, rival
    page.get_by_role("button", name="Publish").click()
    conflict = page.get_by_role("alert").filter(has_text="Someone else was first")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("version 3 was published after this form started from version 2 (it changed Description)")
    diff_row = conflict.get_by_role("row", name=re.compile("^Description"))
    expect(diff_row).to_contain_text("Changed by a rival")
    shot(page, "conflict")
    assert api("POST", "/artifacts/auths/get", {"auth_id": corp})["version"] == 3
    conflict.get_by_role("button", name="Apply my changes to version 3").click()
    expect(main.get_by_text(re.compile("started from version 3"))).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(main.get_by_text(re.compile("^Version 4"))).to_be_visible()
    got = api("POST", "/artifacts/auths/get", {"auth_id": corp})
    # Only what this form changed went on top of the rival's version: theirs stays.
    assert got["flags"]["value"]["id"] == "flag-disabled", got
    assert got["descriptions"]["value"]["label"] == "Changed by a rival", got

    # --- The draft the conflict kept was replaced by the one published: none is left.
    assert api("POST", "/artifacts/auths/drafts")["total_count"] == 0
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My drafts").click()
    expect(main.get_by_text(re.compile("^0 draft"))).to_be_visible()
    page.go_back()

    # --- A draft saved, then discarded after confirming: nothing is published.
    expect(page.get_by_role("heading", level=1)).to_have_text("Corporate SSO")
    page.get_by_label("Description").fill("A change I drop")
    page.get_by_role("button", name="Save draft").click()
    expect(main.get_by_text(re.compile("^Draft saved"))).to_be_visible()
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Discard draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Corporate SSO")
    assert api("POST", "/artifacts/auths/drafts")["total_count"] == 0
    got = api("POST", "/artifacts/auths/get", {"auth_id": corp})
    assert got["version"] == 4 and got["descriptions"]["value"]["label"] == "Changed by a rival", got

    # --- History: each version with its diff; version 1 restored as a draft, published.
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="Version 4 (current)")).to_be_visible()
    v3 = page.get_by_role("article", name="Version 3")
    expect(v3.get_by_role("row", name=re.compile("^Description"))).to_contain_text("Changed by a rival")
    expect(v3).to_contain_text("rival-editor")
    expect(page.get_by_role("button", name="Restore version 4 as draft")).to_have_count(0)
    shot(page, "history")
    page.get_by_role("button", name="Restore version 1 as draft").click()
    expect(page.get_by_label("Description")).to_have_value("Single sign-on for staff")
    page.get_by_role("button", name="Publish").click()
    expect(main.get_by_text(re.compile("^Version 5"))).to_be_visible()
    got = api("POST", "/artifacts/auths/get", {"auth_id": corp})
    assert got["descriptions"]["value"]["label"] == "Single sign-on for staff", got
    assert got["flags"]["value"]["id"] == "flag-active" and got["slugs"]["values"] == [], got

    # --- The audit log of the auth.
    page.get_by_role("link", name="Audit log").click()
    audit = page.get_by_role("table", name="Audit records")
    expect(audit).to_contain_text("auth.create")
    expect(audit).to_contain_text("rival-editor")
    assert SECRET not in page.content()

    # --- A deprecated auth changes only its flag: the form says so and offers that.
    branch = made["results"][1]["auth_id"]
    api("POST", "/artifacts/auths/update", {"auths": [{"auth_id": branch, "flag_id": "flag-deprecated"}]})
    page.goto(f"{URL}/#/auth/{branch}")
    expect(page.get_by_role("note")).to_contain_text("auth is deprecated")
    expect(page.get_by_label("Name", exact=True)).to_be_disabled()
    page.get_by_label("New flag").select_option(label="active")
    page.get_by_role("button", name="Change the flag").click()
    expect(main.get_by_text(re.compile("^Version 3"))).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_be_enabled()

    # --- A conflict with nothing saved yet: Publish straight after editing, someone
    # else publishes meanwhile; "Apply my changes" carries only my field onto theirs.
    page.get_by_label("Description").fill("Edited without a draft")
    api("POST", "/artifacts/auths/update", {"auths": [{"auth_id": branch, "name": "Branch LDAP renamed"}]},
        key=rival_key)
    page.get_by_role("button", name="Publish").click()
    conflict = page.get_by_role("alert").filter(has_text="Someone else was first")
    expect(conflict).to_contain_text("it changed Name")
    conflict.get_by_role("button", name="Apply my changes to version 4").click()
    expect(main.get_by_text(re.compile("started from version 4"))).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(main.get_by_text(re.compile("^Version 5"))).to_be_visible()
    got = api("POST", "/artifacts/auths/get", {"auth_id": branch})
    assert got["names"]["value"]["label"] == "Branch LDAP renamed", got
    assert got["descriptions"]["value"]["label"] == "Edited without a draft", got

    # --- A new auth, from a blank form: the problems that stop publishing, then fixed.
    page.get_by_role("link", name="New auth").first.click()
    expect(page.get_by_role("heading", name="New auth")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Partner OIDC")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("alert").filter(has_text="to fix before publishing")).to_contain_text("Protocols")
    page.get_by_role("group", name="Protocols").get_by_role("checkbox", name="oidc").check()
    deps = page.get_by_label("Find departments")
    deps.fill("ident")
    page.get_by_role("button", name="Add Identity Team").click()
    page.get_by_role("group", name="Items").get_by_text("New item").click()
    page.get_by_label("Key", exact=True).fill("client_secret")
    page.get_by_label("Value", exact=True).fill(SECRET + "-2")
    page.get_by_label(re.compile("^Secret")).check()
    page.get_by_role("button", name="Create item").click()
    expect(page.get_by_role("list", name="Chosen items")).to_contain_text("client_secret = (secret")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Partner OIDC")
    expect(main.get_by_text(re.compile("^Version 1"))).to_be_visible()
    assert SECRET not in page.content()

    # --- Export: a CSV download of every auth, without the secret values.
    with page.expect_download() as dl:
        page.get_by_role("button", name="Export CSV").click()
    path = dl.value.path()
    csv = open(path, encoding="utf-8").read()
    assert csv.startswith("auth_id,id,name,"), csv[:200]
    assert csv.count("\n") == 32, csv  # the header and 31 auths
    assert "Partner OIDC" in csv and SECRET not in csv
    assert dl.value.suggested_filename.endswith(".csv"), dl.value.suggested_filename

    # --- A key scoped to Finance finds only Finance's auths, and its facet names no other.
    page.get_by_role("button", name="Sign out").click()
    scoped_key = api("POST", "/keys", {"name": "finance-editor", "role": "editor", "department_ids": [finance]})["key"]
    page.get_by_label("API key").fill(scoped_key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    expect(main.get_by_text("10 auths", exact=True)).to_be_visible()
    expect(page.get_by_role("group", name="Departments")).not_to_contain_text("Identity Team")
    page.goto(f"{URL}/#/auth/{corp}")
    expect(page.get_by_role("alert")).to_contain_text("not found")

    # --- A viewer: the same form, disabled, with the reason; no way to save.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('auths.api-key')") is None
    page.get_by_label("API key").fill(viewer_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("banner").get_by_text("Signed in as page-viewer")).to_be_visible()
    page.goto(f"{URL}/#/auth/{corp}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Corporate SSO")
    expect(page.get_by_role("note")).to_contain_text("You cannot edit this auth")
    expect(page.get_by_label("Name", exact=True)).to_be_disabled()
    expect(page.get_by_label("Description")).to_be_disabled()
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    # Only what a viewer may do is offered.
    expect(page.get_by_role("link", name="New auth")).to_have_count(0)
    expect(page.get_by_role("button", name="Export CSV")).to_be_hidden()
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    shot(page, "viewer")

    # --- A phone's width: tables scroll in their own box, the page never sideways.
    page.set_viewport_size({"width": 375, "height": 800})
    for route in ["#/", "#/?q=branch", f"#/auth/{corp}/history", f"#/auth/{corp}"]:
        page.goto(f"{URL}/{route}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (route, width)
    page.set_viewport_size({"width": 1280, "height": 860})

    # --- "Skip to content" moves focus, not the address; a mangled link is "Not found".
    before = page.url
    page.keyboard.press("Control+Home")
    page.get_by_role("link", name="Skip to content").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    assert page.url == before, page.url
    page.goto(f"{URL}/#/auth/%E0%A4%A")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    page.goto(f"{URL}/#/auth/{corp}/version/abc")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")

    # --- The key revoked while signed in: the next call signs the page out, in words.
    api("DELETE", "/keys/page-viewer")
    page.get_by_role("link", name="Search", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("refused the key")
    expect(page.get_by_label("API key")).to_be_visible()

    browser.close()

assert not problems, problems
print("admin page: every step passed")
