"""Issue 13 §5 in a real browser: pages the other browser tests do not walk (the admin, the
API's Swagger UI) work under the app's Content-Security-Policy; anything the policy blocks is
a console error that the guard turns into a failure (see browserkit.Person._console)."""

from browserkit import PASSWORD, exact


def test_admin_and_api_docs_work_under_the_policy(people, org):
    from playwright.sync_api import expect

    from complaintdesk.accounts.models import User

    User.objects.create_superuser(username="root", password=PASSWORD, role="admin",
                                  org_unit=org["province"])
    me = people("en").login("root")
    for path in ("/admin/", "/admin/tickets/ticket/", "/admin/taxonomy/category/",
                 "/admin/taxonomy/category/add/", "/admin/accounts/user/add/",
                 "/admin/sla/casedossier/", "/admin/sla/calendaroverride/add/"):
        me.goto(path)
        expect(me.page.locator("#user-tools")).to_be_visible()  # signed in, not the login form
    # The admin's own scripts run (its sidebar filter is added by nav_sidebar.js).
    me.goto("/admin/accounts/user/")
    expect(me.page.locator("#nav-filter")).to_be_visible()
    # The date widget's calendar (admin/js/calendar.js) opens on a form with a date field.
    me.goto("/admin/sla/calendaroverride/add/")
    me.page.locator(".datetimeshortcuts a[id^=calendarlink]").first.click()
    expect(me.page.locator(".calendarbox").first).to_be_visible()
    # Swagger UI is drawn by its static scripts (swagger-ui-init.js), not by inline code.
    me.goto("/api/v1/docs")
    expect(me.page.locator(".swagger-ui .info .title")).to_be_visible()
    expect(me.page.get_by_text(exact("ledger")).first).to_be_visible()
    me.page.wait_for_timeout(500)  # late console messages
    me.guard.check()
