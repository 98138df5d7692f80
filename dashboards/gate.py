"""What every page run starts with: the demo and no-sign-in banners, the sign-in page, the
refused page for an account the roles file does not know, the viewer's name and sign-out in the
sidebar, and the audit entries of sign-ins and page views. The data module enforces the access;
this module only decides which page a person sees first."""

from __future__ import annotations

import streamlit as st

from dashboards import data
from dashboards.access import Access, AccessFileError

_SIGNED_IN = "_audit_signed_in"
_LAST_VIEW = "_audit_last_view"


def banners() -> None:
    if data.demo_mode():
        st.warning(
            "**Demo mode**: synthetic data of a made-up network, no sign-in. "
            "Never use demo mode for patient data.",
            icon=":material/science:",
        )
    elif not data.sign_in_required():
        st.info(
            "No sign-in configured: this app is served on this computer only (localhost).",
            icon=":material/lock:",
        )


def admit() -> Access:
    """The viewer's access, or stop the run at the page saying why there is none."""
    banners()
    if not data.sign_in_required():
        return data.LOCAL_VIEWER
    if not st.user.is_logged_in:
        st.title("WMIN imaging dashboards")
        st.write(
            "Sign in with your organisation's account (NHSmail) to see the imaging "
            "network's dashboards."
        )
        st.button("Sign in", key="sign_in", type="primary", on_click=st.login)
        st.stop()
    try:
        rules = data.access_rules()
    except AccessFileError as e:
        st.title("WMIN imaging dashboards")
        st.error(f"The app's roles file cannot be used: {e}")
        st.stop()
    access = data.viewer()
    email = str(st.user.get("email") or "")
    if access is None:
        data.audit("refused", None, email=email)
        st.title("WMIN imaging dashboards")
        st.error(
            f"You are signed in as {email or 'an account without an email address'}, "
            "but this account has no role in the app."
        )
        st.write(
            f"To be given access, ask {rules.contact}, saying which trust you work for "
            "and what you need to see."
        )
        st.button("Sign out", key="sign_out", on_click=st.logout)
        st.stop()
    # a sign-in is one ID token (issued at `iat`): each new browser tab is a new session, not
    # a new sign-in
    token = (access.email, st.user.get("iat") or st.user.get("auth_time"))
    if not st.session_state.get(_SIGNED_IN):
        st.session_state[_SIGNED_IN] = True
        seen = _sign_ins()
        if token not in seen:
            seen.add(token)
            data.audit("sign_in", access)
    return access


@st.cache_resource(show_spinner=False)
def _sign_ins() -> set[tuple[str, object]]:
    """The sign-ins already audited by this app process."""
    return set()


def sidebar(access: Access) -> None:
    if not data.sign_in_required():
        return
    with st.sidebar:
        st.caption(f"Signed in as **{access.email}**, {access.label}")
        st.button("Sign out", key="sign_out", on_click=_sign_out, args=(access,))


def _sign_out(access: Access) -> None:
    data.audit("sign_out", access)
    st.session_state.pop(_SIGNED_IN, None)
    st.logout()


def record_page_view(access: Access, page: str) -> None:
    """One entry per page and filters shown (a rerun of the same view is not a new view)."""
    filters = {k: st.query_params.get_all(k) for k in sorted(st.query_params)}
    view = (page, repr(filters))
    if st.session_state.get(_LAST_VIEW) != view:
        st.session_state[_LAST_VIEW] = view
        data.audit("page_view", access, page=page or "home", filters=filters)
