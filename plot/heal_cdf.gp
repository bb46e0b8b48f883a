# heal_cdf.gp - the healed share of divergence episodes within x: 1 - the
# Kaplan-Meier survival of the healing time (heal_km.csv, written by qsim
# run), one step line per option with its Greenwood 95 % band (thin lines
# of the same colour and dash) and censor marks (+: episodes that ended
# unhealed, aged out, overwritten or still open, at the share then
# reached). An option where nothing healed is a line at 0. Log time axis;
# a time of 0 is drawn at 1 ms. The axis ends at the last observation.
load here.'/common.gp'
set title 'Healing time: share of divergence episodes healed within x (Kaplan-Meier, 95 % Greenwood band, + censored)'
set xlabel 'time since the episode opened (s, log scale)'
set ylabel 'share of episodes healed'
set logscale x 10
set format x '%g'
set autoscale xfix
set yrange [0:1.02]
set ytics 0.2
f = out.'/heal_km.csv'
x(t) = t < 0.001 ? 0.001 : t
plot for [i=1:words(options)] f skip 1 \
        using (x($3)):((strcol(1) eq word(options, i) && strcol(2) ne 'censor') ? $4 : NaN) \
        with steps lt i title 'option '.word(options, i), \
     for [i=1:words(options)] f skip 1 \
        using (x($3)):((strcol(1) eq word(options, i) && strcol(2) ne 'censor') ? $5 : NaN) \
        with steps lt i lw 0.6 notitle, \
     for [i=1:words(options)] f skip 1 \
        using (x($3)):((strcol(1) eq word(options, i) && strcol(2) ne 'censor') ? $6 : NaN) \
        with steps lt i lw 0.6 notitle, \
     for [i=1:words(options)] f skip 1 \
        using (x($3)):((strcol(1) eq word(options, i) && strcol(2) eq 'censor') ? $4 : NaN) \
        with points lt i pt 1 ps 0.5 notitle
