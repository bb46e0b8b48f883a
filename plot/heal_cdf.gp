# heal_cdf.gp - empirical CDF of healing latency per option (heal_latency.csv).
load here.'/common.gp'
set title 'Healing latency: share of divergence episodes healed within x'
set xlabel 'healing latency (s)'
set ylabel 'share of healed episodes'
set logscale x
set yrange [0:1.02]
plot for [o in options] out.'/heal_latency.csv' skip 1 using (strcol(1) eq o ? $2 : NaN):(1) \
     smooth cnormal lw 2 title 'option '.o
