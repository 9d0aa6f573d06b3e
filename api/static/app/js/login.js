// Log in: username and password → bearer token (kept in localStorage) → the role's page.

import { api, ApiError, describe, homeOf, safeNext, session } from "./api.js";
import { h, registerOffline, ROLE_NAMES, say } from "./ui.js";

const form = document.getElementById("login-form");
const message = document.getElementById("login-message");

/** Back where the login was asked for when that is on this site, else the role's home. */
function destination(user) {
  return safeNext(new URLSearchParams(location.search).get("next")) || homeOf(user);
}

async function login(event) {
  event.preventDefault();
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) return say(message, "请输入用户名和密码。", "error");
  say(message, "正在登录…");
  try {
    const { token, user } = await api("/api/auth/login", {
      method: "POST",
      body: { username, password },
    });
    session.save(token, user);
    location.assign(destination(user));
  } catch (err) {
    const wrong = err instanceof ApiError && err.status === 401;
    say(message, wrong ? "用户名或密码错误。" : describe(err), "error");
  }
}

function showSignedIn() {
  const user = session.user;
  if (!session.token || !user) return;
  const p = document.getElementById("signed-in");
  p.replaceChildren(
    `已登录：${user.display_name}（${ROLE_NAMES[user.role] || user.role}）。`,
    h("a", { href: destination(user) }, "继续 →"),
  );
  p.hidden = false;
}

registerOffline();
form.addEventListener("submit", login);
showSignedIn();
form.username.focus();
