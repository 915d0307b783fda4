// Treasury history charts (ECharts from the hub's webjar): float in USD and coverage per rail, from
// GET /v1/treasury/history (the last 24 h of snapshots), redrawn every minute.
(function () {
  var floatChart = echarts.init(document.getElementById('chart-float'));
  var coverageChart = echarts.init(document.getElementById('chart-coverage'));
  var status = document.getElementById('history-status');

  function series(data, field) {
    return data.map(function (s) {
      return {
        name: s.rail + ' ' + s.currency, type: 'line', showSymbol: false,
        data: s.points.map(function (p) { return [p.at, p[field] === null ? null : Number(p[field])]; })
      };
    });
  }

  function options(title, data, field) {
    return {
      animation: false, tooltip: { trigger: 'axis' }, legend: { type: 'scroll', bottom: 0 },
      grid: { left: 60, right: 20, top: 20, bottom: 50 },
      xAxis: { type: 'time' }, yAxis: { type: 'value', name: title }, series: series(data, field)
    };
  }

  function load() {
    fetch('/v1/treasury/history', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
      .then(function (body) {
        floatChart.setOption(options('USD', body.data, 'float_usd'), true);
        coverageChart.setOption(options('coverage', body.data, 'coverage'), true);
        var points = body.data.reduce(function (n, s) { return n + s.points.length; }, 0);
        status.textContent = points + ' snapshots from ' + body.from + ' to ' + body.to + '.';
        document.getElementById('chart-float').setAttribute('data-points', String(points));
      })
      .catch(function (e) { status.textContent = 'History not loaded: ' + e.message; });
  }

  window.addEventListener('resize', function () { floatChart.resize(); coverageChart.resize(); });
  load();
  setInterval(load, 60000);
})();
