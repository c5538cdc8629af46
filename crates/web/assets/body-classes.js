// Replaces the GOV.UK template's inline script so the Content-Security-Policy can forbid inline script.
document.body.classList.add('js-enabled');
if ('noModule' in HTMLScriptElement.prototype) {
  document.body.classList.add('govuk-frontend-supported');
}
