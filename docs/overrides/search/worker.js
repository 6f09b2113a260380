// 手册搜索（在 MkDocs 自带 search/worker.js 的基础上修改，MkDocs 采用 BSD-2-Clause 许可）。
//
// lunr 默认按空格切词，并会去掉所有汉字，中文完全搜不到；lunr 的中文分词又依赖 Node.js，
// 浏览器中不能用。这里把连续的汉字切成单字和相邻两字（“合并请求” → 合、并、请、求、合并、并请、请求），
// 查询时要求所有相邻两字都出现，英文和数字按词查找并允许前缀匹配。不需要任何外部文件。
var base_path = 'function' === typeof importScripts ? '.' : '/search/';
var allowSearch = false;
var index;
var documents = {};
var data;

var WORD = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9_]+/g;
var HAN = /^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;

function tokenize (obj, metadata) {
  if (obj === null || obj === undefined) {
    return [];
  }
  if (Array.isArray(obj)) {
    return obj.map(function (t) {
      return new lunr.Token(lunr.utils.asString(t).toLowerCase(), lunr.utils.clone(metadata));
    });
  }
  var str = obj.toString().toLowerCase();
  var tokens = [];
  function push (text, start, length) {
    var meta = lunr.utils.clone(metadata) || {};
    meta.position = [start, length];
    meta.index = tokens.length;
    tokens.push(new lunr.Token(text, meta));
  }
  var match;
  WORD.lastIndex = 0;
  while ((match = WORD.exec(str)) !== null) {
    var word = match[0];
    if (HAN.test(word)) {
      for (var i = 0; i < word.length; i++) {
        push(word.charAt(i), match.index + i, 1);
        if (i + 1 < word.length) {
          push(word.substr(i, 2), match.index + i, 2);
        }
      }
    } else {
      push(word, match.index, word.length);
    }
  }
  return tokens;
}

function toQuery (text) {
  var terms = [];
  var str = text.toLowerCase();
  var match;
  WORD.lastIndex = 0;
  while ((match = WORD.exec(str)) !== null) {
    var word = match[0];
    if (HAN.test(word)) {
      if (word.length === 1) {
        terms.push('+' + word);
      }
      for (var i = 0; i + 1 < word.length; i++) {
        terms.push('+' + word.substr(i, 2));
      }
    } else {
      terms.push('+' + word + '*');
    }
  }
  return terms.join(' ');
}

function onJSONLoaded () {
  data = JSON.parse(this.responseText);
  importScripts('lunr.js');
  onScriptsLoaded();
}

function onScriptsLoaded () {
  index = lunr(function () {
    this.tokenizer = tokenize;
    this.pipeline.reset();
    this.searchPipeline.reset();
    this.field('title');
    this.field('text');
    this.ref('location');
    for (var i = 0; i < data.docs.length; i++) {
      var doc = data.docs[i];
      this.add(doc);
      documents[doc.location] = doc;
    }
  });
  allowSearch = true;
  postMessage({config: data.config});
  postMessage({allowSearch: allowSearch});
}

function init () {
  var oReq = new XMLHttpRequest();
  oReq.addEventListener("load", onJSONLoaded);
  oReq.open("GET", 'search_index.json');
  oReq.send();
}

function search (query) {
  if (!allowSearch) {
    console.error('Assets for search still loading');
    return;
  }
  var lunrQuery = toQuery(query);
  if (!lunrQuery) {
    return [];
  }
  var resultDocuments = [];
  var results;
  try {
    results = index.search(lunrQuery);
  } catch (e) {
    return [];
  }
  for (var i = 0; i < results.length; i++) {
    var doc = documents[results[i].ref];
    doc.summary = doc.text.substring(0, 200);
    resultDocuments.push(doc);
  }
  return resultDocuments;
}

onmessage = function (e) {
  if (e.data.init) {
    init();
  } else if (e.data.query) {
    postMessage({ results: search(e.data.query) });
  } else {
    console.error("Worker - Unrecognized message: " + e);
  }
};
