from seeding.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, PLATFORM_ADMIN, seed_accounts
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import pass_mfa, sign_out

LANDING = {
    "guard": "Hello",
    "supervisor": "supervision",
    "liaison": "liaison",
    "org_admin": "administration",
    "platform admin": "Platform administration",
}


def test_each_demo_role_signs_in_and_lands_on_its_page(portal, browser, screenshot):
    seed_accounts()
    for account in [*DEMO_ACCOUNTS, PLATFORM_ADMIN]:
        role = str(account.role)
        context = browser.new_context(**(PHONE if role == "guard" else DESKTOP))
        page = context.new_page()
        page.goto(f"{portal}/")
        assert "/accounts/login/" in page.url
        page.get_by_label("Email").fill(account.email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        pass_mfa(page)
        heading = page.get_by_role("heading", level=1)
        heading.wait_for()
        assert LANDING[role] in heading.inner_text(), account.email
        screenshot(page, f"home-{role.replace(' ', '-')}")
        sign_out(page)
        page.wait_for_url("**/accounts/login/**")
        context.close()
