# kvr.gp - KV reads per pending call over time, one step line per option:
# Option 0 flat at 1 + stuck messages, a healing option stepping down to 1.
# Reads polls.csv (option,t_us,t_s,kvr,kvw,returned,status,bot).
load here.'/common.gp'
set title 'KV reads per poll ([KVr:n] in the bot log)'
set xlabel 'simulated time (hours)'
set ylabel 'KVr per poll'
set yrange [0:*]
set offsets 0, 0, 0.5, 0
plot for [o in options] out.'/polls.csv' skip 1 using ($3/3600):(strcol(1) eq o ? $4 : NaN) \
     with steps lw 2 title 'option '.o
