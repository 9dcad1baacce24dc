// The style module JupyterLab loads: index.css imports every stylesheet.
import './index.css';
