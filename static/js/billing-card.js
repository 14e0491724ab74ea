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

  // localstripe's test double of Stripe.js has no createPaymentMethod; its createToken gives a card object whose id
  // a PaymentIntent accepts as payment_method. Only reached when the fake is loaded (the real one returns a result).
  async function viaTestDouble() {
    var result = await stripe.createToken(card);
    if (result.error) { return result; }
    return { paymentMethod: { id: result.token.card.id } };
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
