// Card payment: Stripe.js collects the card in its own element and turns it into a PaymentMethod, so card numbers
// never reach our server; the form then posts only the PaymentMethod id, and the server confirms the PaymentIntent.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof window.Stripe !== "function") { return; }
  var stripe = window.Stripe(form.getAttribute("data-publishable-key"));
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  var scriptSrc = (document.querySelector('script[src*="js.stripe.com/v3"]') || {}).src || "";

  // localstripe's test double of Stripe.js has no createPaymentMethod; do what the real one does (the browser posts
  // the card to the API with the publishable key). Only reached when the fake is loaded.
  async function viaTestDouble() {
    var base = scriptSrc.replace(/\/js\.stripe\.com\/v3\/?$/, "");
    var c = card.value && card.value.card;
    if (!base || !c) { return { error: { message: "Enter the card details." } }; }
    var body = new URLSearchParams({
      type: "card", "card[number]": c.number, "card[exp_month]": c.exp_month, "card[exp_year]": c.exp_year,
      "card[cvc]": c.cvc, key: form.getAttribute("data-publishable-key"),
    });
    var response = await fetch(base + "/v1/payment_methods", { method: "POST", body: body });
    var json = await response.json().catch(function () { return {}; });
    return response.ok ? { paymentMethod: json } : { error: json.error || { message: "The card was refused." } };
  }

  form.addEventListener("submit", async function (event) {
    if (document.getElementById("payment-method-id").value) { return; }
    event.preventDefault();
    var result = await stripe.createPaymentMethod({ type: "card", card: card });
    if (!result || (!result.paymentMethod && !result.error)) { result = await viaTestDouble(); }
    if (result.error) { errors.textContent = result.error.message || "The card was refused."; return; }
    document.getElementById("payment-method-id").value = result.paymentMethod.id;
    form.submit();
  });
})();
