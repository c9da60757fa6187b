// Shows why the login page is shown again: a wrong token, too many tries,
// or a log-out.
(function () {
  "use strict";
  var q = new URLSearchParams(location.search);
  var err = document.getElementById("login-error");
  if (q.get("error") === "token") {
    err.textContent = "Wrong token.";
    err.hidden = false;
  } else if (q.get("error") === "limit") {
    err.textContent = "Too many failed logins: wait a minute.";
    err.hidden = false;
  }
  if (q.get("bye")) document.getElementById("login-bye").hidden = false;
})();
