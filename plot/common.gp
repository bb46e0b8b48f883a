# common.gp - terminal and style shared by the qsim charts.
# Expects: term ('png' or 'svg'), dest (file to write).
if (term eq 'svg') { set terminal svg size 900,480 dynamic font 'sans,11' background '#ffffff' } \
else { set terminal pngcairo size 900,480 font 'sans,10' }
set output dest
set termoption noenhanced
set datafile separator ','
set grid lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
