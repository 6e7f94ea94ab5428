(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("search-data").textContent);
  var box = document.getElementById("search-box");
  var out = document.getElementById("search-results");
  var words = Object.keys(data.terms);
  function tokens(text) {
    return text.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "").match(/[\p{L}\p{N}]+/gu) || [];
  }
  function hits(word) {
    var found = {};
    words.forEach(function (w) {
      if (w.lastIndexOf(word, 0) === 0) {
        data.terms[w].forEach(function (p) { found[p[0]] = (found[p[0]] || 0) + p[1]; });
      }
    });
    return found;
  }
  function run() {
    var query = tokens(box.value);
    out.textContent = "";
    if (!query.length) { return; }
    var score = null;
    query.forEach(function (word) {
      var found = hits(word), next = {};
      Object.keys(found).forEach(function (d) {
        if (score === null || d in score) { next[d] = (score === null ? 0 : score[d]) + found[d]; }
      });
      score = next;
    });
    var docs = Object.keys(score).sort(function (a, b) { return score[b] - score[a] || a - b; });
    var status = document.createElement("p");
    status.textContent = docs.length + (docs.length === 1 ? " edition mentions " : " editions mention ") +
      box.value.trim() + ".";
    out.appendChild(status);
    if (!docs.length) { return; }
    var list = document.createElement("ol");
    docs.forEach(function (d) {
      var doc = data.docs[d], item = document.createElement("li"), link = document.createElement("a");
      link.href = doc.href;
      link.textContent = doc.title;
      item.appendChild(link);
      item.appendChild(document.createTextNode(", edition of " + doc.as_of + (doc.latest ? " (latest)" : "") +
        ": " + score[d] + (score[d] === 1 ? " match. " : " matches. ") + doc.bottom));
      list.appendChild(item);
    });
    out.appendChild(list);
  }
  box.addEventListener("input", run);
  document.getElementById("search").hidden = false;
  run();
})();
