// The registration page (cases/registration.html): the person/enterprise switch, the proxy
// scope shown for proxy cases only, the item picker driven by the keyboard, and the credit
// code's override reason shown once its check fails. A static file: the CSP forbids inline
// script. The server renders the same state, so a re-rendered form needs nothing from here.
(function () {
  "use strict";

  // Enter pressed before the results of what was typed arrived: pick when they arrive.
  var pickWhenLoaded = false;

  function checked(name) {
    var input = document.querySelector("input[name='" + name + "']:checked");
    return input ? input.value : "";
  }

  function showApplicantType() {
    var type = checked("applicant_type");
    document.querySelectorAll("[data-applicant]").forEach(function (element) {
      element.classList.toggle("d-none", element.getAttribute("data-applicant") !== type);
    });
  }

  function followCategory() {
    // The usual category follows the applicant type, unless the agent chose another one.
    var category = document.querySelector("select[name='category']");
    if (category && (category.value === "personal" || category.value === "enterprise")) {
      category.value = checked("applicant_type") === "enterprise" ? "enterprise" : "personal";
    }
  }

  function showProxyScope() {
    var proxy = checked("kind") === "proxy";
    document.querySelectorAll("[data-proxy-only]").forEach(function (element) {
      element.classList.toggle("d-none", !proxy);
    });
  }

  function search() {
    return document.querySelector("[data-item-search]");
  }

  function results() {
    return document.querySelector("[data-item-results]");
  }

  function options() {
    return Array.prototype.slice.call(results().querySelectorAll("[data-pick]"));
  }

  function current() {
    return options().findIndex(function (option) {
      return option.classList.contains("active");
    });
  }

  function highlight(index) {
    options().forEach(function (option, n) {
      option.classList.toggle("active", n === index);
      option.setAttribute("aria-selected", n === index ? "true" : "false");
      if (n === index) {
        option.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function resultsAreFresh() {
    var box = results().querySelector("[data-results-for]");
    return box !== null && box.getAttribute("data-results-for") === search().value.trim();
  }

  function clearSearch() {
    search().value = "";
    results().innerHTML = "";
    search().setAttribute("aria-expanded", "false");
    search().focus();
  }

  function pick(option) {
    var kind = option.getAttribute("data-pick");
    var pk = option.getAttribute("data-pk");
    var name = kind === "bundle" ? "bundle" : "items";
    var picked = document.querySelector("[data-picked]");
    // One bundle at most: a new one replaces the previous.
    var same = kind === "bundle" ? "input[name='bundle']" : "input[name='items'][value='" + CSS.escape(pk) + "']";
    var existing = picked.querySelector(same);
    if (existing !== null) {
      existing.closest("[data-chip]").remove();
    }
    var template = document.querySelector("template[data-chip-template]");
    var chip = template.content.firstElementChild.cloneNode(true);
    chip.querySelector("[data-chip-label]").textContent = option.getAttribute("data-chip-label");
    var input = chip.querySelector("input");
    input.name = name;
    input.value = pk;
    picked.appendChild(chip);
    clearSearch();
  }

  document.addEventListener("DOMContentLoaded", function () {
    // The browser may restore radio buttons on "back": show what they say.
    if (search() !== null) {
      showApplicantType();
      showProxyScope();
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.name === "applicant_type") {
      showApplicantType();
      followCategory();
    } else if (event.target.name === "kind") {
      showProxyScope();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (!event.target.matches || !event.target.matches("[data-item-search]")) {
      return;
    }
    var list = options();
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (list.length) {
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight((current() + step + list.length) % list.length);
      }
    } else if (event.key === "Enter") {
      if (!event.target.value.trim()) {
        return; // an empty search box: Enter submits the form
      }
      event.preventDefault();
      if (resultsAreFresh() && current() >= 0) {
        pick(list[current()]);
      } else {
        pickWhenLoaded = true;
      }
    } else if (event.key === "Escape") {
      results().innerHTML = "";
      event.target.setAttribute("aria-expanded", "false");
    } else if (event.key === "Backspace" && !event.target.value) {
      var chips = document.querySelectorAll("[data-picked] [data-chip]");
      if (chips.length) {
        chips[chips.length - 1].remove();
      }
    } else {
      pickWhenLoaded = false;
    }
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-pick]");
    if (option !== null) {
      pick(option);
      return;
    }
    var remove = event.target.closest("[data-unpick]");
    if (remove !== null) {
      remove.closest("[data-chip]").remove();
      search().focus();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target.hasAttribute("data-item-results")) {
      search().setAttribute("aria-expanded", options().length ? "true" : "false");
      if (pickWhenLoaded && resultsAreFresh() && current() >= 0) {
        pickWhenLoaded = false;
        pick(options()[current()]);
      }
    } else if (target.id === "credit_code-check") {
      var override = document.querySelector("[data-credit-override]");
      var reason = override.querySelector("input");
      var needed = target.querySelector("[data-overridable]") !== null;
      override.classList.toggle("d-none", !needed && !reason.value);
    }
  });
})();
