// Copies the set-password token from the link's #fragment into the form. The fragment is never
// sent to the server, so the token stays out of every access log; it is removed from the address
// bar at once so it is not left in history either.
(function () {
  var field = document.getElementById("token");
  var token = window.location.hash.slice(1);
  if (field && token && !field.value) {
    field.value = token;
    history.replaceState(null, "", window.location.pathname);
  }
})();
