// Exit this page: leave at once for a neutral site, replacing this page in the history so
// that Back does not return here, and empty every form first. Works by click or by pressing
// Shift three times. Without JavaScript the button is an ordinary link that still leaves.
(function () {
  var button = document.querySelector('.harbour-exit-this-page');
  if (!button) { return; }
  function leave(event) {
    if (event) { event.preventDefault(); }
    document.querySelectorAll('form').forEach(function (form) {
      form.reset();
      form.querySelectorAll('input[type=text], input[type=email], input[type=tel], textarea').forEach(function (el) { el.value = ''; });
    });
    document.body.classList.add('harbour-leaving');
    window.location.replace(button.href);
  }
  button.addEventListener('click', leave);
  var presses = [];
  document.addEventListener('keyup', function (event) {
    if (event.key !== 'Shift') { presses = []; return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 2000; });
    presses.push(now);
    if (presses.length >= 3) { leave(); }
  });
})();
